//! Passkeys in the user pool: the pool's relying party (WebAuthnConfiguration), registration
//! and authentication ceremonies through the project's own strict verifier
//! (`emulator-webauthn`), stored credentials, and the mapping of each failed check to
//! Cognito's `WebAuthn*Exception`s.
//!
//! Origins: Cognito accepts a ceremony from an origin whose host is the relying party ID or
//! under it. The verifier takes exact origins, so the pool's are listed: the emulator's own
//! origin and those of every app client's callback and sign-out URLs under the RP ID.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Cognito;
use super::error::{CognitoError, Exception, Result};
use super::model::{Client, Pool};
use crate::store::{Entity, UserRow};
use crate::webauthn::json::{AuthenticationResponseJson, RegistrationResponseJson};
use crate::webauthn::{
    AuthenticationRequest, AuthenticationState, CredentialRecord, Error as WebauthnError,
    RegistrationRequest, RegistrationState, RelyingParty, RpConfig, UserVerification,
};

/// Passkeys one user may register (Cognito's documented quota).
pub const MAX_PER_USER: usize = 20;

/// A user's passkey.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Passkey {
    /// base64url credential id.
    pub id: String,
    pub user_sub: String,
    pub rp_id: String,
    pub attachment: Option<String>,
    pub friendly_name: Option<String>,
    pub created: i64,
    /// The verifier's record (public key, counter, flags) as JSON.
    pub record: String,
}

impl Entity for Passkey {
    const KIND: &'static str = "webauthn_credential";
}

/// A registration started by StartWebAuthnRegistration, keyed by the user's `sub`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingRegistration {
    pub state: RegistrationState,
}

impl Entity for PendingRegistration {
    const KIND: &'static str = "webauthn_registration";
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url).ok()?.host_str().map(str::to_owned)
}

fn origin_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    Some(u.origin().ascii_serialization()).filter(|o| o != "null")
}

/// The pool's relying party, or `WebAuthnNotEnabledException` when the pool's sign-in policy
/// does not allow passkeys.
pub fn relying_party(cx: &Cognito, pool: &Pool) -> Result<RelyingParty> {
    if !super::signin::user_auth::allowed_factors(pool).contains(&"WEB_AUTHN") {
        return Err(CognitoError::new(
            Exception::WebAuthnNotEnabled,
            "Passkeys are not enabled: the user pool's SignInPolicy.AllowedFirstAuthFactors does not include WEB_AUTHN.",
        ));
    }
    let config = pool.settings.get("WebAuthnConfiguration");
    let rp_id = config
        .and_then(|c| c.get("RelyingPartyId"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| host_of(&cx.base_url))
        .ok_or_else(|| {
            CognitoError::new(
                Exception::WebAuthnConfigurationMissing,
                "The user pool has no relying party ID (SetUserPoolMfaConfig WebAuthnConfiguration).",
            )
        })?;
    let uv = match config
        .and_then(|c| c.get("UserVerification"))
        .and_then(Value::as_str)
    {
        Some("required") => UserVerification::Required,
        _ => UserVerification::Preferred,
    };
    let under =
        |url: &str| host_of(url).is_some_and(|h| h == rp_id || h.ends_with(&format!(".{rp_id}")));
    let clients: Vec<Client> = cx.store.list(Some(&pool.id))?;
    let mut origins: Vec<String> = std::iter::once(cx.base_url.clone())
        .chain(
            clients
                .iter()
                .flat_map(|c| [c.list("CallbackURLs"), c.list("LogoutURLs")].concat()),
        )
        .filter(|u| under(u))
        .filter_map(|u| origin_of(&u))
        .collect();
    origins.sort();
    origins.dedup();
    let mut rp = RpConfig::new(rp_id.clone(), cx.base_url.clone());
    rp.rp_name = pool.name.clone();
    rp.origins = origins;
    rp.user_verification = uv;
    RelyingParty::new(rp).map_err(|e| {
        CognitoError::new(
            Exception::WebAuthnConfigurationMissing,
            format!("The user pool's relying party is unusable: {e}"),
        )
    })
}

/// A failed check as Cognito's exception, naming the check. Which check raises which
/// exception is not documented: this mapping is the emulator's choice.
pub fn refused(e: &WebauthnError) -> CognitoError {
    let exception = match e.check() {
        "ChallengeUnknown" | "ChallengeReplayed" | "ChallengeExpired" | "ChallengeMismatch" => {
            Exception::WebAuthnChallengeNotFound
        }
        "RpIdHashMismatch" => Exception::WebAuthnRelyingPartyMismatch,
        "OriginMismatch" | "CrossOriginNotAllowed" | "TopOriginMismatch" => {
            Exception::WebAuthnOriginNotAllowed
        }
        "ClientDataTypeMismatch" | "CredentialTypeMismatch" => Exception::WebAuthnClientMismatch,
        "UnsupportedAlgorithm" | "AlgorithmNotRequested" | "UnsupportedFormat" => {
            Exception::WebAuthnCredentialNotSupported
        }
        _ => Exception::InvalidParameter,
    };
    CognitoError::new(
        exception,
        format!("passkey check {} failed: {e}", e.check()),
    )
}

fn now_ms(cx: &Cognito) -> u64 {
    u64::try_from(cx.clock.now_millis()).unwrap_or(0)
}

fn rng(cx: &Cognito) -> rand_chacha::ChaCha20Rng {
    use rand_core::SeedableRng;
    rand_chacha::ChaCha20Rng::from_seed(cx.entropy.bytes::<32>())
}

/// The user's passkeys, oldest first.
pub fn of_user(cx: &Cognito, pool: &Pool, u: &UserRow) -> Result<Vec<Passkey>> {
    Ok(cx.store.owned_by::<Passkey>(&pool.id, &u.sub)?)
}

fn records(keys: &[Passkey]) -> Vec<CredentialRecord> {
    keys.iter()
        .filter_map(|k| CredentialRecord::from_json(&k.record).ok())
        .collect()
}

/// Creation options for a new passkey of `u` (its passkeys excluded); the state waits for
/// CompleteWebAuthnRegistration.
pub fn start_registration(cx: &Cognito, pool: &Pool, u: &UserRow) -> Result<Value> {
    let rp = relying_party(cx, pool)?;
    let existing = of_user(cx, pool, u)?;
    if existing.len() >= MAX_PER_USER {
        return Err(CognitoError::new(
            Exception::LimitExceeded,
            format!("A user can register at most {MAX_PER_USER} passkeys."),
        ));
    }
    let name = u.attribute("email").unwrap_or(&u.username).to_owned();
    let request = RegistrationRequest {
        user_id: u.sub.as_bytes().to_vec(),
        user_name: name.clone(),
        display_name: name,
        exclude_credentials: records(&existing).into_iter().map(|r| r.id).collect(),
        ..RegistrationRequest::default()
    };
    let (options, state) = rp.start_registration(
        &mut cx.services.challenges(),
        &mut rng(cx),
        now_ms(cx),
        &request,
    );
    cx.store
        .put(&pool.id, &u.sub, &PendingRegistration { state })?;
    serde_json::to_value(options).map_err(|e| CognitoError::internal(e.to_string()))
}

/// Verify a registration response of `u` and store the passkey.
pub fn complete_registration(
    cx: &Cognito,
    pool: &Pool,
    u: &UserRow,
    credential: &Value,
) -> Result<Passkey> {
    let rp = relying_party(cx, pool)?;
    let not_found = || {
        CognitoError::new(
            Exception::WebAuthnChallengeNotFound,
            "No passkey registration is pending for the user (StartWebAuthnRegistration), or it was used.",
        )
    };
    let pending: PendingRegistration = cx.store.take(&pool.id, &u.sub)?.ok_or_else(not_found)?;
    let response =
        RegistrationResponseJson::from_json(&credential.to_string()).map_err(|e| refused(&e))?;
    let store = cx.store.clone();
    let pool_id = pool.id.clone();
    let known = move |id: &[u8]| {
        let key = crate::webauthn::encoding::b64(id);
        matches!(store.get::<Passkey>(&pool_id, &key), Ok(Some(_)))
    };
    let record = rp
        .finish_registration(
            &mut cx.services.challenges(),
            pending.state,
            &response,
            now_ms(cx),
            &known,
        )
        .map_err(|e| refused(&e))?;
    let passkey = Passkey {
        id: crate::webauthn::encoding::b64(&record.id),
        user_sub: u.sub.clone(),
        rp_id: rp.config().rp_id.clone(),
        attachment: response.authenticator_attachment.clone(),
        friendly_name: None,
        created: cx.clock.now_millis(),
        record: record.to_json(),
    };
    cx.store.insert(&pool.id, &passkey.id, &passkey)?;
    Ok(passkey)
}

/// Request options for `u`'s passkeys (WEB_AUTHN challenge) and the state to keep.
pub fn start_authentication(
    cx: &Cognito,
    pool: &Pool,
    u: &UserRow,
) -> Result<(Value, AuthenticationState)> {
    let rp = relying_party(cx, pool)?;
    let allow = records(&of_user(cx, pool, u)?)
        .into_iter()
        .map(|r| (r.id, r.transports))
        .collect();
    let request = AuthenticationRequest {
        allow_credentials: allow,
        user_verification: None,
    };
    let (options, state) = rp.start_authentication(
        &mut cx.services.challenges(),
        &mut rng(cx),
        now_ms(cx),
        &request,
    );
    let options =
        serde_json::to_value(options).map_err(|e| CognitoError::internal(e.to_string()))?;
    Ok((options, state))
}

/// Verify an assertion (`CREDENTIAL`, the JSON text of `toJSON()`) by one of `u`'s passkeys;
/// its counter and flags are updated.
pub fn finish_authentication(
    cx: &Cognito,
    pool: &Pool,
    u: &UserRow,
    state: AuthenticationState,
    credential: &str,
) -> Result<()> {
    let rp = relying_party(cx, pool)?;
    let response = AuthenticationResponseJson::from_json(credential).map_err(|e| refused(&e))?;
    let unknown = || CognitoError::not_authorized("Incorrect username or password.");
    let mut key: Passkey = cx
        .store
        .get(&pool.id, &response.raw_id)?
        .ok_or_else(unknown)?;
    if key.user_sub != u.sub {
        return Err(unknown());
    }
    let mut record = CredentialRecord::from_json(&key.record)
        .map_err(|e| CognitoError::internal(e.to_string()))?;
    rp.finish_authentication(
        &mut cx.services.challenges(),
        state,
        &response,
        &mut record,
        now_ms(cx),
    )
    .map_err(|e| refused(&e))?;
    key.record = record.to_json();
    cx.store.put(&pool.id, &key.id, &key)?;
    Ok(())
}

/// `WebAuthnCredentialDescription` as ListWebAuthnCredentials shows it.
pub fn wire(p: &Passkey) -> Value {
    let transports = CredentialRecord::from_json(&p.record)
        .map(|r| r.transports)
        .unwrap_or_default();
    let mut out = json!({
        "CredentialId": p.id,
        "RelyingPartyId": p.rp_id,
        "AuthenticatorTransports": transports,
        "CreatedAt": super::api::pools::secs(p.created),
    });
    if let Some(a) = &p.attachment {
        out["AuthenticatorAttachment"] = json!(a);
    }
    if let Some(n) = &p.friendly_name {
        out["FriendlyCredentialName"] = json!(n);
    }
    out
}
