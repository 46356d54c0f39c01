//! Sign-in sessions: the state a challenge leaves on the server until its answer. Each is
//! referenced by an opaque `Session` (or, for `PASSWORD_VERIFIER`, by its `SECRET_BLOCK`),
//! taken once, and expires after the client's `AuthSessionValidity` (3 to 15 minutes, 3 by
//! default). A wrong MFA code may be retried on the same session a few times.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cognito::Cognito;
use crate::cognito::error::{CognitoError, Result};
use crate::cognito::model::Client;
use crate::store::Entity;

/// Wrong answers a session survives before it is spent (MFA codes).
pub const MAX_ATTEMPTS: u32 = 3;

/// One pending challenge.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthSession {
    pub client_id: String,
    pub user_sub: String,
    /// The challenge this session answers, e.g. `PASSWORD_VERIFIER`.
    pub challenge: String,
    /// Epoch millis.
    pub expires: i64,
    /// The flow that opened it (`USER_SRP_AUTH`, `CUSTOM_AUTH`, ...): sources of triggers.
    #[serde(default)]
    pub auth_flow: String,
    /// SRP: the server's secret `b`, `B` and the client's `A` (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srp: Option<SrpState>,
    /// CUSTOM_AUTH: earlier challenges and results, as the triggers' `request.session`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Value>,
    /// CUSTOM_AUTH: the current challenge's private parameters and metadata.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub private: Value,
    /// SMS/email MFA: the code sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Wrong answers so far.
    #[serde(default)]
    pub attempts: u32,
    /// The remembered device the client signs in from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SrpState {
    pub b: String,
    pub big_b: String,
    pub big_a: String,
}

impl Entity for AuthSession {
    const KIND: &'static str = "auth_session";
}

impl AuthSession {
    pub fn new(cx: &Cognito, client: &Client, user_sub: &str, challenge: &str, flow: &str) -> Self {
        let minutes = client
            .settings
            .get("AuthSessionValidity")
            .and_then(Value::as_i64)
            .unwrap_or(3);
        Self {
            client_id: client.client_id.clone(),
            user_sub: user_sub.to_owned(),
            challenge: challenge.to_owned(),
            expires: cx.clock.now_millis() + minutes * 60_000,
            auth_flow: flow.to_owned(),
            srp: None,
            history: Vec::new(),
            private: Value::Null,
            code: None,
            attempts: 0,
            device_key: None,
        }
    }

    /// Store under a new opaque id, returned.
    pub fn open(&self, cx: &Cognito, pool_id: &str) -> Result<String> {
        let id = B64.encode(cx.entropy.bytes::<96>());
        cx.store.put(pool_id, &id, self)?;
        Ok(id)
    }

    /// Put back a session after a wrong answer that may be retried; spent after
    /// [`MAX_ATTEMPTS`].
    pub fn retry(mut self, cx: &Cognito, pool_id: &str, id: &str) -> Result<()> {
        self.attempts += 1;
        if self.attempts < MAX_ATTEMPTS {
            cx.store.put(pool_id, id, &self)?;
        }
        Ok(())
    }
}

fn invalid() -> CognitoError {
    CognitoError::not_authorized("Invalid session for the user.")
}

/// Take the session `id` for `challenge` from `client`: it is gone afterwards, whoever asks.
/// Unknown, spent, another client's or another challenge's: `Invalid session for the user.`;
/// expired: `Invalid session for the user, session is expired.`
pub fn take(
    cx: &Cognito,
    client: &Client,
    id: Option<&str>,
    challenge: &str,
) -> Result<AuthSession> {
    let id = id.filter(|s| !s.is_empty()).ok_or_else(invalid)?;
    // Read and deleted at once: of two concurrent answers, one gets it.
    let s: AuthSession = cx.store.take(&client.pool_id, id)?.ok_or_else(invalid)?;
    if s.client_id != client.client_id || s.challenge != challenge {
        return Err(invalid());
    }
    if s.expires < cx.clock.now_millis() {
        return Err(CognitoError::not_authorized(
            "Invalid session for the user, session is expired.",
        ));
    }
    Ok(s)
}
