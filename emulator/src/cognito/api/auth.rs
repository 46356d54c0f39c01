//! InitiateAuth/AdminInitiateAuth (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH,
//! REFRESH_TOKEN_AUTH), RespondToAuthChallenge (NEW_PASSWORD_REQUIRED), GetUser, sign-out and
//! RevokeToken.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde::Deserialize;
use serde_json::{Value, json};

use super::clients::{client, client_by_id};
use super::pool;
use super::signup::check_secret_hash;
use crate::cognito::attributes;
use crate::cognito::error::{CognitoError, Exception, Result};
use crate::cognito::model::{AuthSession, Client, Pool};
use crate::cognito::tokens::{self, Grant};
use crate::cognito::user::{self, UserState};
use crate::cognito::{Cognito, password};
use crate::store::UserRow;

const ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InitiateIn {
    client_id: String,
    auth_flow: String,
    #[serde(default)]
    auth_parameters: HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminInitiateIn {
    user_pool_id: String,
    client_id: String,
    auth_flow: String,
    #[serde(default)]
    auth_parameters: HashMap<String, String>,
}

pub fn initiate(cx: &Cognito, input: InitiateIn) -> Result<Value> {
    let c = client_by_id(cx, &input.client_id)?;
    match input.auth_flow.as_str() {
        "USER_PASSWORD_AUTH" => password_auth(cx, &c, "USER_PASSWORD_AUTH", &input.auth_parameters),
        "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => refresh_auth(cx, &c, &input.auth_parameters),
        other => unsupported_flow(other),
    }
}

pub fn admin_initiate(cx: &Cognito, input: AdminInitiateIn) -> Result<Value> {
    let c = client(cx, &input.user_pool_id, &input.client_id)?;
    match input.auth_flow.as_str() {
        "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH" => {
            password_auth(cx, &c, "ADMIN_USER_PASSWORD_AUTH", &input.auth_parameters)
        }
        "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => refresh_auth(cx, &c, &input.auth_parameters),
        other => unsupported_flow(other),
    }
}

fn unsupported_flow(flow: &str) -> Result<Value> {
    const KNOWN: &[&str] = &["USER_SRP_AUTH", "CUSTOM_AUTH", "USER_AUTH"];
    if KNOWN.contains(&flow) {
        return Err(CognitoError::invalid(format!(
            "{flow} is not supported by this emulator: use USER_PASSWORD_AUTH or ADMIN_USER_PASSWORD_AUTH."
        )));
    }
    Err(CognitoError::validation(
        "authFlow",
        &format!("'{flow}'"),
        "Member must satisfy enum value set: [USER_SRP_AUTH, REFRESH_TOKEN_AUTH, REFRESH_TOKEN, CUSTOM_AUTH, ADMIN_NO_SRP_AUTH, USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, USER_AUTH]",
    ))
}

fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| CognitoError::invalid(format!("Missing required parameter {name}")))
}

fn password_auth(
    cx: &Cognito,
    c: &Client,
    flow: &str,
    params: &HashMap<String, String>,
) -> Result<Value> {
    let legacy_admin =
        flow == "ADMIN_USER_PASSWORD_AUTH" && c.allows_auth_flow("ADMIN_NO_SRP_AUTH");
    if !(c.allows_auth_flow(flow) || legacy_admin) {
        return Err(CognitoError::invalid(format!(
            "{flow} flow not enabled for this client"
        )));
    }
    let pool = pool(cx, &c.pool_id)?;
    let username = param(params, "USERNAME")?;
    let pw = param(params, "PASSWORD")?;
    check_secret_hash(c, username, params.get("SECRET_HASH").map(String::as_str))?;
    let wrong = || CognitoError::not_authorized("Incorrect username or password.");
    let Some(u) = user::find(cx, &pool, username)? else {
        let legacy = c
            .settings
            .get("PreventUserExistenceErrors")
            .and_then(Value::as_str)
            != Some("ENABLED");
        return Err(if legacy {
            CognitoError::user_not_found()
        } else {
            wrong()
        });
    };
    if !u.enabled {
        return Err(CognitoError::not_authorized("User is disabled."));
    }
    let state = UserState::of(&u);
    if !state
        .password
        .as_deref()
        .is_some_and(|h| password::verify(h, pw))
    {
        return Err(wrong());
    }
    match u.status.as_str() {
        "UNCONFIRMED" => Err(CognitoError::new(
            Exception::UserNotConfirmed,
            "User is not confirmed.",
        )),
        "RESET_REQUIRED" => Err(CognitoError::new(
            Exception::PasswordResetRequired,
            "Password reset required for the user",
        )),
        "FORCE_CHANGE_PASSWORD" => {
            if state
                .temporary_expires
                .is_some_and(|t| t < cx.clock.now_millis())
            {
                return Err(CognitoError::not_authorized(
                    "Temporary password has expired and must be reset by an administrator.",
                ));
            }
            new_password_challenge(cx, c, &u)
        }
        _ => authenticated(cx, &pool, c, &u, true),
    }
}

fn new_password_challenge(cx: &Cognito, c: &Client, u: &UserRow) -> Result<Value> {
    let session_id = B64URL.encode(cx.entropy.bytes::<64>());
    let minutes = c
        .settings
        .get("AuthSessionValidity")
        .and_then(Value::as_i64)
        .unwrap_or(3);
    let session = AuthSession {
        client_id: c.client_id.clone(),
        user_sub: u.sub.clone(),
        challenge: "NEW_PASSWORD_REQUIRED".into(),
        expires: cx.clock.now_millis() + minutes * 60_000,
    };
    cx.store.put(&c.pool_id, &session_id, &session)?;
    let visible: Vec<(String, String)> = u
        .attributes
        .iter()
        .filter(|(n, _)| n != "sub")
        .cloned()
        .collect();
    let user_attributes: serde_json::Map<String, Value> =
        visible.into_iter().map(|(n, v)| (n, json!(v))).collect();
    Ok(json!({
        "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "Session": session_id,
        "ChallengeParameters": {
            "USER_ID_FOR_SRP": u.username,
            "requiredAttributes": "[]",
            "userAttributes": Value::Object(user_attributes).to_string(),
        },
    }))
}

fn authenticated(
    cx: &Cognito,
    pool: &Pool,
    c: &Client,
    u: &UserRow,
    with_refresh: bool,
) -> Result<Value> {
    let grant = Grant {
        pool,
        client: c,
        user: u,
        auth_time: cx.clock.now_secs(),
        scope: ADMIN_SCOPE.into(),
        nonce: None,
        origin_jti: None,
        with_refresh,
        overrides: Default::default(),
    };
    let t = tokens::issue(cx, &grant)?;
    let mut result = json!({"AccessToken": t.access_token, "ExpiresIn": t.expires_in, "TokenType": "Bearer", "IdToken": t.id_token});
    if let Some(r) = t.refresh_token {
        result["RefreshToken"] = json!(r);
    }
    Ok(json!({"ChallengeParameters": {}, "AuthenticationResult": result}))
}

fn refresh_auth(cx: &Cognito, c: &Client, params: &HashMap<String, String>) -> Result<Value> {
    let token = param(params, "REFRESH_TOKEN")?;
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
    let pool = pool(cx, &c.pool_id)?;
    let u = cx
        .store
        .user_by_id(row.user_id)?
        .ok_or_else(|| CognitoError::not_authorized("User does not exist."))?;
    if c.secret.is_some() {
        let hash = params.get("SECRET_HASH").map(String::as_str);
        check_secret_hash(c, &u.username, hash).or_else(|_| check_secret_hash(c, &u.sub, hash))?;
    }
    if !u.enabled {
        return Err(CognitoError::not_authorized("User is disabled."));
    }
    let grant = Grant {
        pool: &pool,
        client: c,
        user: &u,
        auth_time: row.auth_time,
        // The session keeps the scope it was granted (a hosted sign-in's, or the API's).
        scope: if row.scope.is_empty() {
            ADMIN_SCOPE.into()
        } else {
            row.scope.clone()
        },
        nonce: None,
        origin_jti: Some(row.origin_jti),
        with_refresh: false,
        overrides: Default::default(),
    };
    let t = tokens::issue(cx, &grant)?;
    Ok(json!({"ChallengeParameters": {}, "AuthenticationResult": {
        "AccessToken": t.access_token, "ExpiresIn": t.expires_in, "TokenType": "Bearer", "IdToken": t.id_token,
    }}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RespondIn {
    client_id: String,
    challenge_name: String,
    session: Option<String>,
    #[serde(default)]
    challenge_responses: HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminRespondIn {
    user_pool_id: String,
    client_id: String,
    challenge_name: String,
    session: Option<String>,
    #[serde(default)]
    challenge_responses: HashMap<String, String>,
}

pub fn respond(cx: &Cognito, input: RespondIn) -> Result<Value> {
    let c = client_by_id(cx, &input.client_id)?;
    answer_challenge(
        cx,
        &c,
        &input.challenge_name,
        input.session.as_deref(),
        &input.challenge_responses,
    )
}

pub fn admin_respond(cx: &Cognito, input: AdminRespondIn) -> Result<Value> {
    let c = client(cx, &input.user_pool_id, &input.client_id)?;
    answer_challenge(
        cx,
        &c,
        &input.challenge_name,
        input.session.as_deref(),
        &input.challenge_responses,
    )
}

fn answer_challenge(
    cx: &Cognito,
    c: &Client,
    challenge: &str,
    session: Option<&str>,
    responses: &HashMap<String, String>,
) -> Result<Value> {
    if challenge != "NEW_PASSWORD_REQUIRED" {
        return Err(CognitoError::invalid(format!(
            "Challenge {challenge} is not supported by this emulator."
        )));
    }
    let invalid = || CognitoError::not_authorized("Invalid session for the user.");
    let session_id = session.ok_or_else(invalid)?;
    let s: AuthSession = cx.store.get(&c.pool_id, session_id)?.ok_or_else(invalid)?;
    if s.client_id != c.client_id || s.challenge != challenge {
        return Err(invalid());
    }
    if s.expires < cx.clock.now_millis() {
        return Err(CognitoError::not_authorized(
            "Invalid session for the user, session is expired.",
        ));
    }
    let pool = pool(cx, &c.pool_id)?;
    let mut u = cx
        .store
        .user_by_sub(&pool.id, &s.user_sub)?
        .ok_or_else(CognitoError::user_not_found)?;
    let username = param(responses, "USERNAME")?;
    if user::find(cx, &pool, username)?.map(|x| x.id) != Some(u.id) {
        return Err(invalid());
    }
    check_secret_hash(
        c,
        username,
        responses.get("SECRET_HASH").map(String::as_str),
    )?;
    let new_password = param(responses, "NEW_PASSWORD")?;
    password::check(&pool.password_policy(), new_password)?;
    let updates: Vec<attributes::AttributeIn> = responses
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("userAttributes.")
                .map(|n| attributes::AttributeIn {
                    name: n.to_owned(),
                    value: Some(v.clone()),
                })
        })
        .collect();
    if !updates.is_empty() {
        super::users::apply_updates(cx, &pool, &mut u, &updates)?;
    }
    let mut state = UserState::of(&u);
    state.password = Some(password::hash(&cx.entropy, new_password));
    state.temporary_expires = None;
    state.store_in(&mut u);
    u.status = "CONFIRMED".into();
    u.modified = cx.clock.now_millis();
    cx.store.update_user(&u)?;
    cx.store.delete::<AuthSession>(&pool.id, session_id)?;
    authenticated(cx, &pool, c, &u, true)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessTokenIn {
    access_token: String,
}

pub fn get_user(cx: &Cognito, input: AccessTokenIn) -> Result<Value> {
    let (_, claims, u) = tokens::check_access_token(cx, &input.access_token)?;
    if !claims["scope"]
        .as_str()
        .unwrap_or("")
        .split(' ')
        .any(|s| s == ADMIN_SCOPE)
    {
        return Err(CognitoError::not_authorized(
            "Access Token does not have required scopes",
        ));
    }
    Ok(json!({"Username": u.username, "UserAttributes": attributes::to_wire(&u.attributes, None)}))
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
