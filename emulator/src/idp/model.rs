//! Short-lived flow records of the IdP, stored as JSON entities (pool `idp`): interactions of
//! the hosted experience, authorization codes, tokens, sessions and WebAuthn QR tickets.

use serde::{Deserialize, Serialize};

use crate::store::{Entity, Store};
use crate::webauthn::{AuthenticationState, RegistrationState};

use super::error::ApiError;

/// The entity pool every IdP record lives in.
pub const POOL: &str = "idp";

/// A validated authorization request, kept until the user finishes the hosted experience.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: String,
    pub tenant: String,
    pub redirect_uri: String,
    pub scope: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub login_hint: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<i64>,
    pub acr_values: Option<String>,
}

/// The OTP of an interaction; only its hash is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtpState {
    pub code_hash: String,
    pub destination: String,
    pub expires_ms: i64,
    /// Wrong codes entered against this code.
    pub failures: u32,
    pub sends: u32,
    pub last_sent_ms: i64,
    pub used: bool,
}

/// Where the hosted experience stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Identifier,
    Otp,
    /// The identifier is proven: register a passkey (here or on another device).
    Register,
    /// A returning user: sign in with a passkey.
    Passkey,
    Done,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    pub id: String,
    pub request: AuthRequest,
    pub step: Step,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub identifier: Option<String>,
    /// Set once the identifier belongs to a known (or newly created) user.
    pub sub: Option<String>,
    /// The identifier names no user yet; one is created after the OTP when sign-up is allowed.
    pub new_user: bool,
    pub otp: Option<OtpState>,
    pub amr: Vec<String>,
    pub registration: Option<RegistrationState>,
    pub authentication: Option<AuthenticationState>,
}

impl Entity for Interaction {
    const KIND: &'static str = "idp_interaction";
}

/// What a finished authentication grants, carried by codes, tokens and sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// Groups the code and every token issued from it (revoked together on code reuse).
    pub id: String,
    pub tenant: String,
    pub client_id: String,
    pub sub: String,
    pub scope: Vec<String>,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub amr: Vec<String>,
    pub new_user: bool,
    /// The interaction (flow id) that produced it.
    pub flow: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthCode {
    pub grant: Grant,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub expires_ms: i64,
}

impl Entity for AuthCode {
    const KIND: &'static str = "idp_code";
}

/// The mark of an exchanged code (same key as the code): inserted once, so reuse is detected
/// even under concurrent exchanges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeUse {
    pub at_ms: i64,
}

impl Entity for CodeUse {
    const KIND: &'static str = "idp_code_use";
}

/// A revoked grant: its tokens no longer work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevokedGrant {
    pub reason: String,
}

impl Entity for RevokedGrant {
    const KIND: &'static str = "idp_revoked_grant";
}

/// An access or refresh token, stored by hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub grant: Grant,
    pub expires_ms: i64,
    pub refresh: bool,
}

impl Entity for TokenRecord {
    const KIND: &'static str = "idp_token";
}

/// A browser session at the IdP (cookie `idp_session`), for SSO and `prompt=none`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub tenant: String,
    pub sub: String,
    pub auth_time: i64,
    pub amr: Vec<String>,
    pub expires_ms: i64,
}

impl Entity for Session {
    const KIND: &'static str = "idp_session";
}

/// Status of a WebAuthn QR ticket, as the vendor's cross-device API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Pending,
    Scanned,
    Success,
    Error,
    Timeout,
    Aborted,
}

impl TicketStatus {
    pub fn is_final(self) -> bool {
        !matches!(self, TicketStatus::Pending | TicketStatus::Scanned)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: String,
    pub interaction: String,
    /// The identity the ticket is for: only this user's ceremony completes it.
    pub sub: String,
    pub register: bool,
    pub status: TicketStatus,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub error: Option<String>,
    pub registration: Option<RegistrationState>,
    pub authentication: Option<AuthenticationState>,
    /// The redirect (with the code) the desktop receives on success.
    pub redirect: Option<String>,
    /// The session the desktop's browser receives with the redirect.
    pub session: Option<String>,
}

impl Entity for Ticket {
    const KIND: &'static str = "idp_ticket";
}

/// Loads an entity or answers 404 with `name`.
pub fn load<E: Entity>(store: &Store, key: &str, name: &'static str) -> Result<E, ApiError> {
    store
        .get::<E>(POOL, key)?
        .ok_or_else(|| ApiError::not_found(name, format!("{} not found or expired", E::KIND)))
}
