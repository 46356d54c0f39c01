//! InitiateAuth/AdminInitiateAuth and RespondToAuthChallenge/AdminRespondToAuthChallenge on
//! the sign-in core (`cognito::signin`), GetTokensFromRefreshToken, GetUser, sign-out and
//! RevokeToken.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::clients::{client, client_by_id};
use super::pool;
use super::signup::check_secret_hash;
use crate::cognito::Cognito;
use crate::cognito::error::{CognitoError, Exception, Result};
use crate::cognito::model::Client;
use crate::cognito::signin::{ADMIN_SCOPE, Next, SignIn, custom, param};
use crate::cognito::tokens;
use crate::cognito::user;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InitiateIn {
    client_id: String,
    auth_flow: String,
    #[serde(default, deserialize_with = "present")]
    auth_parameters: HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminInitiateIn {
    user_pool_id: String,
    client_id: String,
    auth_flow: String,
    #[serde(default, deserialize_with = "present")]
    auth_parameters: HashMap<String, String>,
}

pub async fn initiate(cx: &Cognito, input: InitiateIn, flow: &str) -> Result<Value> {
    let c = client_by_id(cx, &input.client_id)?;
    start(cx, c, &input.auth_flow, &input.auth_parameters, false, flow).await
}

pub async fn admin_initiate(cx: &Cognito, input: AdminInitiateIn, flow: &str) -> Result<Value> {
    let c = client(cx, &input.user_pool_id, &input.client_id)?;
    start(cx, c, &input.auth_flow, &input.auth_parameters, true, flow).await
}

/// The client must allow the flow (`ALLOW_<flow>`, or the legacy names).
fn check_flow_allowed(c: &Client, flow: &str) -> Result<()> {
    let legacy = match flow {
        "ADMIN_USER_PASSWORD_AUTH" => c.allows_auth_flow("ADMIN_NO_SRP_AUTH"),
        "USER_SRP_AUTH" => c.list("ExplicitAuthFlows").is_empty(),
        "REFRESH_TOKEN_AUTH" => true,
        _ => false,
    };
    if c.allows_auth_flow(flow) || legacy {
        return Ok(());
    }
    Err(CognitoError::invalid(format!(
        "{flow} flow not enabled for this client"
    )))
}

async fn start(
    cx: &Cognito,
    c: Client,
    auth_flow: &str,
    p: &HashMap<String, String>,
    admin: bool,
    flow: &str,
) -> Result<Value> {
    let canonical = match auth_flow {
        "ADMIN_NO_SRP_AUTH" if admin => "ADMIN_USER_PASSWORD_AUTH",
        "REFRESH_TOKEN" => "REFRESH_TOKEN_AUTH",
        other => other,
    };
    let known = [
        "USER_SRP_AUTH",
        "REFRESH_TOKEN_AUTH",
        "CUSTOM_AUTH",
        "USER_PASSWORD_AUTH",
        "ADMIN_USER_PASSWORD_AUTH",
        "USER_AUTH",
    ];
    let usable = known.contains(&canonical)
        && (admin || canonical != "ADMIN_USER_PASSWORD_AUTH")
        && (!admin || canonical != "USER_PASSWORD_AUTH");
    if !usable {
        return Err(unsupported_flow(auth_flow, admin));
    }
    check_flow_allowed(&c, canonical)?;
    let si = SignIn::new(cx, c, flow)?;
    if canonical == "REFRESH_TOKEN_AUTH" {
        let result = refresh(&si, p).await?;
        return Ok(json!({"ChallengeParameters": {}, "AuthenticationResult": result}));
    }
    let next = match canonical {
        "USER_SRP_AUTH" => si.srp_start(p).await?,
        "CUSTOM_AUTH" => custom::start(&si, p).await?,
        "USER_AUTH" => si.user_auth_start(p).await?,
        _ => {
            let username = param(p, "USERNAME")?;
            let pw = param(p, "PASSWORD")?;
            check_secret_hash(
                &si.client,
                username,
                p.get("SECRET_HASH").map(String::as_str),
            )?;
            let u = si.password(username, pw).await?;
            si.after_first_factor(u, canonical).await?
        }
    };
    answer(&si, next, "TokenGeneration_Authentication").await
}

fn unsupported_flow(flow: &str, admin: bool) -> CognitoError {
    let values = if admin {
        "[USER_SRP_AUTH, REFRESH_TOKEN_AUTH, REFRESH_TOKEN, CUSTOM_AUTH, ADMIN_NO_SRP_AUTH, USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, USER_AUTH]"
    } else {
        "[USER_SRP_AUTH, REFRESH_TOKEN_AUTH, REFRESH_TOKEN, CUSTOM_AUTH, USER_PASSWORD_AUTH, USER_AUTH]"
    };
    if !values.contains(flow) || flow.is_empty() {
        return CognitoError::validation(
            "authFlow",
            &format!("'{flow}'"),
            &format!("Member must satisfy enum value set: {values}"),
        );
    }
    CognitoError::invalid(format!("Initiate Auth method not supported: {flow}"))
}

/// The wire answer of a step: the next challenge, or tokens.
async fn answer(si: &SignIn<'_>, next: Next, source: &str) -> Result<Value> {
    let step = |name: &str, detail: Value| {
        si.cx.journal.record(
            crate::journal::Service::Cognito,
            crate::journal::EventKind::FlowStep,
            name,
            Some(si.flow),
            detail,
        )
    };
    let _ = match &next {
        Next::Challenge(c) => step(
            "signin.challenge",
            json!({"challenge": c.name, "available": c.available}),
        ),
        Next::Authenticated(u) => step(
            "signin.authenticated",
            json!({"username": u.username, "device": si.device()}),
        ),
    };
    match next {
        Next::Challenge(c) => {
            let mut out = json!({"ChallengeName": c.name, "ChallengeParameters": c.parameters});
            if let Some(s) = c.session {
                out["Session"] = json!(s);
            }
            if !c.available.is_empty() {
                out["AvailableChallenges"] = json!(c.available);
            }
            Ok(out)
        }
        Next::Authenticated(u) => {
            let result = si.tokens(&u, source).await?;
            Ok(json!({"ChallengeParameters": {}, "AuthenticationResult": result}))
        }
    }
}

/// A map of parameters without its `null` members: browsers' identity-js sends
/// `"DEVICE_KEY": null` when it has none, which Cognito reads as absent.
fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<HashMap<String, String>, D::Error> {
    let raw: Option<HashMap<String, Option<String>>> = Deserialize::deserialize(d)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect())
}

/// A refresh token's new ID and access tokens (REFRESH_TOKEN_AUTH, GetTokensFromRefreshToken);
/// with rotation on the client, a new refresh token replaces it.
async fn refresh(si: &SignIn<'_>, p: &HashMap<String, String>) -> Result<Value> {
    let token = param(p, "REFRESH_TOKEN")?;
    let cx = si.cx;
    let c = &si.client;
    let invalid = || CognitoError::not_authorized("Invalid Refresh Token");
    let row = cx
        .store
        .refresh(&tokens::hash_refresh(token))?
        .ok_or_else(invalid)?;
    if row.client_id != c.client_id {
        return Err(invalid());
    }
    if row.revoked {
        return Err(CognitoError::not_authorized(
            "Refresh Token has been revoked",
        ));
    }
    if row.expires <= cx.clock.now_secs() {
        return Err(CognitoError::not_authorized("Refresh Token has expired"));
    }
    let u = cx
        .store
        .user_by_id(row.user_id)?
        .ok_or_else(|| CognitoError::not_authorized("User does not exist."))?;
    if c.secret.is_some() {
        let hash = p.get("SECRET_HASH").map(String::as_str);
        check_secret_hash(c, &u.username, hash).or_else(|_| check_secret_hash(c, &u.sub, hash))?;
    }
    if !u.enabled {
        return Err(CognitoError::not_authorized("User is disabled."));
    }
    // A tracked device of the user keeps its `device_key` claim.
    let device = p.get("DEVICE_KEY").map(String::as_str);
    if let Some(d) = crate::cognito::signin::devices::confirmed_device(si, &u, device)? {
        si.set_device(&d.key);
    }
    // The session keeps the scope it was granted (a hosted sign-in's, or the API's).
    let scope = if row.scope.is_empty() {
        ADMIN_SCOPE.into()
    } else {
        row.scope.clone()
    };
    let mut result = si
        .issue(
            &u,
            "TokenGeneration_RefreshTokens",
            row.auth_time,
            Some((row.origin_jti.clone(), scope.clone())),
        )
        .await?;
    if rotates(c) {
        let fresh = tokens::rotate_refresh(cx, &row, token)?;
        result["RefreshToken"] = json!(fresh);
    }
    Ok(result)
}

/// `RefreshTokenRotation.Feature = ENABLED` on the client.
fn rotates(c: &Client) -> bool {
    c.settings
        .get("RefreshTokenRotation")
        .and_then(|r| r.get("Feature"))
        .and_then(Value::as_str)
        == Some("ENABLED")
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FromRefreshIn {
    refresh_token: String,
    client_id: String,
    client_secret: Option<String>,
    device_key: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    client_metadata: HashMap<String, String>,
}

/// GetTokensFromRefreshToken: what Amplify v6 refreshes with.
pub async fn tokens_from_refresh(cx: &Cognito, input: FromRefreshIn, flow: &str) -> Result<Value> {
    let c = client_by_id(cx, &input.client_id)?;
    if c.secret.is_some() && c.secret != input.client_secret {
        return Err(CognitoError::not_authorized(format!(
            "Client {} is not authorized: invalid client secret.",
            c.client_id
        )));
    }
    if !c.allows_auth_flow("REFRESH_TOKEN_AUTH") && !c.list("ExplicitAuthFlows").is_empty() {
        return Err(CognitoError::invalid(
            "REFRESH_TOKEN_AUTH flow not enabled for this client",
        ));
    }
    let si = SignIn::new(cx, c, flow)?;
    let mut p = HashMap::from([("REFRESH_TOKEN".to_owned(), input.refresh_token)]);
    if let Some(d) = input.device_key {
        p.insert("DEVICE_KEY".into(), d);
    }
    let result = refresh(&si, &p).await?;
    Ok(json!({"AuthenticationResult": result}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RespondIn {
    client_id: String,
    challenge_name: String,
    session: Option<String>,
    #[serde(default, deserialize_with = "present")]
    challenge_responses: HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminRespondIn {
    user_pool_id: String,
    client_id: String,
    challenge_name: String,
    session: Option<String>,
    #[serde(default, deserialize_with = "present")]
    challenge_responses: HashMap<String, String>,
}

pub async fn respond(cx: &Cognito, input: RespondIn, flow: &str) -> Result<Value> {
    let c = client_by_id(cx, &input.client_id)?;
    respond_with(
        cx,
        c,
        &input.challenge_name,
        input.session.as_deref(),
        &input.challenge_responses,
        flow,
    )
    .await
}

pub async fn admin_respond(cx: &Cognito, input: AdminRespondIn, flow: &str) -> Result<Value> {
    let c = client(cx, &input.user_pool_id, &input.client_id)?;
    respond_with(
        cx,
        c,
        &input.challenge_name,
        input.session.as_deref(),
        &input.challenge_responses,
        flow,
    )
    .await
}

async fn respond_with(
    cx: &Cognito,
    c: Client,
    challenge: &str,
    session: Option<&str>,
    responses: &HashMap<String, String>,
    flow: &str,
) -> Result<Value> {
    let si = SignIn::new(cx, c, flow)?;
    let next = si.answer(challenge, session, responses).await?;
    let source = if challenge == "NEW_PASSWORD_REQUIRED" {
        "TokenGeneration_NewPasswordChallenge"
    } else {
        "TokenGeneration_Authentication"
    };
    answer(&si, next, source).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessTokenIn {
    access_token: String,
}

pub fn global_sign_out(cx: &Cognito, input: AccessTokenIn) -> Result<Value> {
    let (_, _, u) = tokens::check_access_token(cx, &input.access_token)?;
    cx.store.revoke_user_sessions(u.id, cx.clock.now_millis())?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminSignOutIn {
    user_pool_id: String,
    username: String,
}

pub fn admin_global_sign_out(cx: &Cognito, input: AdminSignOutIn) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    let u = user::get(cx, &pool, &input.username)?;
    cx.store.revoke_user_sessions(u.id, cx.clock.now_millis())?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RevokeIn {
    token: String,
    client_id: String,
    client_secret: Option<String>,
}

pub fn revoke_token(cx: &Cognito, input: RevokeIn) -> Result<Value> {
    let c = client_by_id(cx, &input.client_id)?;
    if c.secret.is_some() && c.secret != input.client_secret {
        return Err(CognitoError::not_authorized(format!(
            "Client {} is not authorized: invalid client secret.",
            c.client_id
        )));
    }
    if c.settings.get("EnableTokenRevocation") == Some(&json!(false)) {
        return Err(CognitoError::invalid(
            "Token revocation is not enabled for this client.",
        ));
    }
    if input.token.split('.').count() == 3 {
        return Err(CognitoError::new(
            Exception::UnsupportedTokenType,
            "Only refresh tokens can be revoked.",
        ));
    }
    let Some(row) = cx.store.refresh(&tokens::hash_refresh(&input.token))? else {
        // RFC 7009: an unknown token is not an error.
        return Ok(json!({}));
    };
    if row.client_id != c.client_id {
        return Err(CognitoError::not_authorized(
            "Refresh token was not issued to this client.",
        ));
    }
    cx.store
        .revoke_origin(&row.origin_jti, cx.clock.now_millis())?;
    Ok(json!({}))
}
