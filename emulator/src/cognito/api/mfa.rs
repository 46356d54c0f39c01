//! MFA settings: the pool's (SetUserPoolMfaConfig, GetUserPoolMfaConfig), a user's
//! authenticator app (AssociateSoftwareToken, VerifySoftwareToken; by access token, or by the
//! session of an `MFA_SETUP` challenge) and preferences (SetUserMFAPreference and its admin
//! twin).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::account::signed_in;
use super::pool;
use crate::cognito::Cognito;
use crate::cognito::error::{CognitoError, Exception, Result};
use crate::cognito::model::{Client, Pool};
use crate::cognito::signin::session::{self, AuthSession};
use crate::cognito::signin::totp;
use crate::cognito::user::{self, UserState};
use crate::store::UserRow;

const POOL_MEMBERS: [&str; 4] = [
    "SoftwareTokenMfaConfiguration",
    "SmsMfaConfiguration",
    "EmailMfaConfiguration",
    "WebAuthnConfiguration",
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetPoolIn {
    user_pool_id: String,
    mfa_configuration: Option<String>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

fn pool_config(p: &Pool) -> Value {
    let mut out = json!({"MfaConfiguration": p.settings.get("MfaConfiguration").cloned().unwrap_or(json!("OFF"))});
    for key in POOL_MEMBERS {
        if let Some(v) = p.settings.get(key).filter(|v| !v.is_null()) {
            out[key] = v.clone();
        }
    }
    out
}

pub fn set_pool_config(cx: &Cognito, input: SetPoolIn) -> Result<Value> {
    let mut p = pool(cx, &input.user_pool_id)?;
    if let Some(unknown) = input
        .rest
        .keys()
        .find(|k| !POOL_MEMBERS.contains(&k.as_str()))
    {
        return Err(CognitoError::new(
            Exception::Serialization,
            format!("Unknown member {unknown} for SetUserPoolMfaConfig"),
        ));
    }
    if let Some(rp_id) = input
        .rest
        .get("WebAuthnConfiguration")
        .and_then(|c| c.get("RelyingPartyId"))
    {
        check_rp_id(cx, &p, rp_id.as_str().unwrap_or(""))?;
    }
    let mode = input.mfa_configuration.as_deref();
    if let Some(m) = mode.filter(|m| !["OFF", "ON", "OPTIONAL"].contains(m)) {
        return Err(CognitoError::validation(
            "mfaConfiguration",
            &format!("'{m}'"),
            "Member must satisfy enum value set: [OFF, ON, OPTIONAL]",
        ));
    }
    for (k, v) in input.rest {
        p.settings.insert(k, v);
    }
    if let Some(m) = mode {
        p.settings.insert("MfaConfiguration".into(), json!(m));
    }
    let any_factor = crate::cognito::signin::mfa::Factor::ALL
        .into_iter()
        .any(|f| f.on_pool(&p));
    if crate::cognito::signin::mfa::pool_mode(&p) != "OFF" && !any_factor {
        return Err(CognitoError::invalid(
            "Invalid MFA configuration given: ON or OPTIONAL needs SMS, email or software token MFA enabled.",
        ));
    }
    p.modified = cx.clock.now_millis();
    cx.store.put(&p.id, "", &p)?;
    Ok(pool_config(&p))
}

/// A relying party ID is a host name the emulator's pages are served under: its own host or
/// a parent domain of it (Cognito requires the user pool's domain or a custom domain; the
/// emulator's hosted UI is its custom domain).
fn check_rp_id(cx: &Cognito, pool: &Pool, rp_id: &str) -> Result<()> {
    let host = url::Url::parse(&cx.base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let valid_name = !rp_id.is_empty()
        && rp_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if valid_name && (host == rp_id || host.ends_with(&format!(".{rp_id}"))) {
        return Ok(());
    }
    Err(CognitoError::invalid(format!(
        "RelyingPartyId {rp_id:?} must be the domain of user pool {} ({host}) or a parent of it.",
        pool.id
    )))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PoolIn {
    user_pool_id: String,
}

pub fn get_pool_config(cx: &Cognito, input: PoolIn) -> Result<Value> {
    Ok(pool_config(&pool(cx, &input.user_pool_id)?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssociateIn {
    access_token: Option<String>,
    session: Option<String>,
}

/// The user of an MFA_SETUP session, and the client and pool it belongs to.
fn setup_session(cx: &Cognito, id: &str) -> Result<(Client, AuthSession, UserRow)> {
    let invalid = || CognitoError::not_authorized("Invalid session for the user.");
    let (pool_id, s) = cx.store.find::<AuthSession>(id)?.ok_or_else(invalid)?;
    let client: Client = cx.store.get(&pool_id, &s.client_id)?.ok_or_else(invalid)?;
    let s = session::take(cx, &client, Some(id), "MFA_SETUP")?;
    let u = cx
        .store
        .user_by_sub(&pool_id, &s.user_sub)?
        .ok_or_else(invalid)?;
    Ok((client, s, u))
}

/// Either the access token's user, or the MFA_SETUP session's (then a new session follows).
fn caller(
    cx: &Cognito,
    access_token: Option<&str>,
    session: Option<&str>,
) -> Result<(UserRow, Option<(Client, AuthSession)>)> {
    match (access_token, session) {
        (Some(t), _) => Ok((signed_in(cx, t)?.1, None)),
        (None, Some(id)) => {
            let (c, s, u) = setup_session(cx, id)?;
            Ok((u, Some((c, s))))
        }
        (None, None) => Err(CognitoError::invalid(
            "Either AccessToken or Session must be given.",
        )),
    }
}

/// A new MFA_SETUP session continuing `s`.
fn next_session(cx: &Cognito, c: &Client, s: &AuthSession) -> Result<String> {
    let next = AuthSession::new(cx, c, &s.user_sub, "MFA_SETUP", &s.auth_flow);
    next.open(cx, &c.pool_id)
}

pub fn associate(cx: &Cognito, input: AssociateIn) -> Result<Value> {
    let (mut u, setup) = caller(cx, input.access_token.as_deref(), input.session.as_deref())?;
    let secret = totp::base32(&cx.entropy.bytes::<20>());
    let mut state = UserState::of(&u);
    state.mfa.totp_pending = Some(secret.clone());
    state.store_in(&mut u);
    cx.store.update_user(&u)?;
    let mut out = json!({"SecretCode": secret});
    if let Some((c, s)) = setup {
        out["Session"] = json!(next_session(cx, &c, &s)?);
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyIn {
    access_token: Option<String>,
    session: Option<String>,
    user_code: String,
    #[allow(dead_code)]
    friendly_device_name: Option<String>,
}

/// VerifySoftwareToken: the code proves the app holds the secret. During MFA_SETUP the app
/// also becomes the user's MFA (the pool requires one); otherwise SetUserMFAPreference
/// enables it.
pub fn verify(cx: &Cognito, input: VerifyIn) -> Result<Value> {
    let (mut u, setup) = caller(cx, input.access_token.as_deref(), input.session.as_deref())?;
    let mut state = UserState::of(&u);
    let Some(secret) = state.mfa.totp_pending.clone() else {
        return Err(CognitoError::new(
            Exception::SoftwareTokenMfaNotFound,
            "Software Token MFA has not been associated with the user (AssociateSoftwareToken).",
        ));
    };
    let key = totp::from_base32(&secret).unwrap_or_default();
    let Some(step) = totp::verify(&key, &input.user_code, cx.clock.now_secs(), None) else {
        return Err(CognitoError::new(
            Exception::EnableSoftwareTokenMfa,
            "Code mismatch and fail enable Software Token MFA",
        ));
    };
    state.mfa.totp_secret = Some(secret);
    state.mfa.totp_pending = None;
    state.mfa.totp_last_step = Some(step);
    if setup.is_some() {
        state.mfa.totp_enabled = true;
    }
    state.store_in(&mut u);
    u.modified = cx.clock.now_millis();
    cx.store.update_user(&u)?;
    let mut out = json!({"Status": "SUCCESS"});
    if let Some((c, s)) = setup {
        out["Session"] = json!(next_session(cx, &c, &s)?);
    }
    Ok(out)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Setting {
    enabled: Option<bool>,
    preferred_mfa: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PreferenceIn {
    access_token: String,
    #[serde(rename = "SMSMfaSettings")]
    sms: Option<Setting>,
    software_token_mfa_settings: Option<Setting>,
    email_mfa_settings: Option<Setting>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminPreferenceIn {
    user_pool_id: String,
    username: String,
    #[serde(rename = "SMSMfaSettings")]
    sms: Option<Setting>,
    software_token_mfa_settings: Option<Setting>,
    email_mfa_settings: Option<Setting>,
}

fn apply_preferences(
    cx: &Cognito,
    u: &mut UserRow,
    settings: [(&str, Option<Setting>); 3],
) -> Result<()> {
    let mut state = UserState::of(u);
    for (factor, s) in settings {
        let Some(s) = s else { continue };
        let enabled = s.enabled.unwrap_or(false);
        match factor {
            "SOFTWARE_TOKEN_MFA" => {
                if enabled && state.mfa.totp_secret.is_none() {
                    return Err(CognitoError::invalid(
                        "User has not verified software token mfa",
                    ));
                }
                state.mfa.totp_enabled = enabled;
            }
            "SMS_MFA" => state.mfa.sms_enabled = enabled,
            _ => state.mfa.email_enabled = enabled,
        }
        if s.preferred_mfa == Some(true) && enabled {
            state.mfa.preferred = Some(factor.to_owned());
        } else if state.mfa.preferred.as_deref() == Some(factor) && !enabled {
            state.mfa.preferred = None;
        }
    }
    state.store_in(u);
    u.modified = cx.clock.now_millis();
    cx.store.update_user(u)?;
    Ok(())
}

pub fn set_preference(cx: &Cognito, input: PreferenceIn) -> Result<Value> {
    let (_, mut u) = signed_in(cx, &input.access_token)?;
    apply_preferences(
        cx,
        &mut u,
        [
            ("SOFTWARE_TOKEN_MFA", input.software_token_mfa_settings),
            ("SMS_MFA", input.sms),
            ("EMAIL_OTP", input.email_mfa_settings),
        ],
    )?;
    Ok(json!({}))
}

pub fn admin_set_preference(cx: &Cognito, input: AdminPreferenceIn) -> Result<Value> {
    let p = pool(cx, &input.user_pool_id)?;
    let mut u = user::get(cx, &p, &input.username)?;
    apply_preferences(
        cx,
        &mut u,
        [
            ("SOFTWARE_TOKEN_MFA", input.software_token_mfa_settings),
            ("SMS_MFA", input.sms),
            ("EMAIL_OTP", input.email_mfa_settings),
        ],
    )?;
    Ok(json!({}))
}
