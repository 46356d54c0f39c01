//! `/oauth2/token` (authorization_code with PKCE, refresh_token, client_credentials), with
//! OAuth's `error` vocabulary and client authentication (Basic or post).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64URL};
use serde_json::{Value, json};

use super::flow::AuthCode;
use super::{Cognito, rejected, step};
use crate::cognito::api;
use crate::cognito::model::{Client, ResourceServer};
use crate::cognito::tokens::{self, Grant};
use crate::cognito::triggers;

/// An OAuth error answer: `{"error", "error_description"}` with its status.
#[derive(Debug)]
pub(super) struct OAuthError {
    pub(super) status: StatusCode,
    pub(super) error: &'static str,
    pub(super) description: String,
}

pub(super) fn oauth(error: &'static str, description: impl Into<String>) -> OAuthError {
    let status = if error == "invalid_client" {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    OAuthError {
        status,
        error,
        description: description.into(),
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({"error": self.error, "error_description": self.description})),
        )
            .into_response()
    }
}

pub(super) fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// The calling app client: HTTP Basic (`client_secret_basic`) or form members
/// (`client_secret_post`); a client with a secret must present it.
pub(super) fn client_auth(
    cx: &Cognito,
    headers: &HeaderMap,
    f: &HashMap<String, String>,
) -> Result<Client, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(|b| {
            let decoded = STANDARD
                .decode(b.trim())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .unwrap_or_default();
            let (id, secret) = decoded.split_once(':').unwrap_or((&decoded, ""));
            let dec = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            (dec(id), Some(dec(secret)))
        });
    let (id, secret) = match basic {
        Some(b) => b,
        None => (
            f.get("client_id").cloned().unwrap_or_default(),
            f.get("client_secret").cloned(),
        ),
    };
    if id.is_empty() {
        return Err(oauth(
            "invalid_client",
            "Client authentication is required (Basic or client_id)",
        ));
    }
    let Some((_, client)) = cx.store.find::<Client>(&id).ok().flatten() else {
        return Err(oauth(
            "invalid_client",
            format!("Client {id} does not exist"),
        ));
    };
    match (&client.secret, secret.as_deref()) {
        (Some(s), Some(given)) if s == given => {}
        (Some(_), _) => return Err(oauth("invalid_client", "Client secret is missing or wrong")),
        (None, Some(given)) if !given.is_empty() => {
            return Err(oauth("invalid_client", "Client has no secret"));
        }
        (None, _) => {}
    }
    Ok(client)
}

pub async fn token_post(State(cx): State<Cognito>, headers: HeaderMap, body: Bytes) -> Response {
    let f = form(&body);
    let grant_type = f.get("grant_type").cloned().unwrap_or_default();
    let flow = cx.entropy.uuid();
    match token(&cx, &headers, &f, &grant_type, &flow).await {
        Ok((v, flow)) => {
            step(
                &cx,
                "oauth2.token",
                &flow,
                json!({"grant_type": grant_type}),
            );
            let mut r = axum::Json(v).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            rejected(
                &cx,
                "oauth2.token",
                Some(&flow),
                json!({"grant_type": grant_type, "error": e.error, "error_description": e.description}),
            );
            e.into_response()
        }
    }
}

async fn token(
    cx: &Cognito,
    headers: &HeaderMap,
    f: &HashMap<String, String>,
    grant_type: &str,
    flow: &str,
) -> Result<(Value, String), OAuthError> {
    if grant_type.is_empty() {
        return Err(oauth("invalid_request", "grant_type is required"));
    }
    let client = client_auth(cx, headers, f)?;
    match grant_type {
        "authorization_code" => code_grant(cx, &client, f).await,
        "refresh_token" => refresh_grant(cx, &client, f, flow)
            .await
            .map(|v| (v, flow.to_owned())),
        "client_credentials" => client_credentials(cx, &client, f).map(|v| (v, flow.to_owned())),
        other => Err(oauth(
            "unsupported_grant_type",
            format!("grant_type {other} is not supported"),
        )),
    }
}

fn pkce_ok(challenge: &str, verifier: &str) -> bool {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    B64URL.encode(d.as_ref()) == challenge
}

async fn code_grant(
    cx: &Cognito,
    client: &Client,
    f: &HashMap<String, String>,
) -> Result<(Value, String), OAuthError> {
    let code = f
        .get("code")
        .ok_or_else(|| oauth("invalid_request", "code is required"))?;
    // One use: the code is taken (read and deleted at once) whatever the outcome.
    let Some((pool_id, ac)) = cx
        .store
        .take_by_key::<AuthCode>(code)
        .map_err(|e| oauth("invalid_request", e.to_string()))?
    else {
        return Err(oauth(
            "invalid_grant",
            "Authorization code is unknown or already used",
        ));
    };
    if ac.request.client_id != client.client_id {
        return Err(oauth(
            "invalid_grant",
            "Authorization code was issued to another client",
        ));
    }
    if ac.expires <= cx.clock.now_millis() {
        return Err(oauth("invalid_grant", "Authorization code has expired"));
    }
    if f.get("redirect_uri") != Some(&ac.request.redirect_uri) {
        return Err(oauth(
            "invalid_grant",
            "redirect_uri does not match the authorize request",
        ));
    }
    if let Some(ch) = &ac.request.code_challenge {
        let v = f
            .get("code_verifier")
            .ok_or_else(|| oauth("invalid_request", "code_verifier is required"))?;
        if !pkce_ok(ch, v) {
            return Err(oauth(
                "invalid_grant",
                "code_verifier does not match the code_challenge",
            ));
        }
    }
    let pool = api::pool(cx, &pool_id).map_err(|e| oauth("invalid_grant", e.message))?;
    let user = cx
        .store
        .user_by_sub(&pool_id, &ac.user_sub)
        .ok()
        .flatten()
        .filter(|u| u.enabled)
        .ok_or_else(|| oauth("invalid_grant", "User does not exist or is disabled"))?;
    let overrides = triggers::pre_token(
        cx,
        &pool,
        client,
        &user,
        "TokenGeneration_HostedAuth",
        &ac.flow,
    )
    .await
    .map_err(|e| oauth("invalid_request", e.redirect_message("PreTokenGeneration")))?;
    let scope = ac.request.scope();
    let grant = Grant {
        pool: &pool,
        client,
        user: &user,
        auth_time: ac.auth_time,
        scope,
        nonce: ac.request.nonce.clone(),
        origin_jti: None,
        with_refresh: true,
        overrides,
        device_key: None,
    };
    let t = tokens::issue(cx, &grant).map_err(|e| oauth("invalid_request", e.message))?;
    Ok((
        json!({"id_token": t.id_token, "access_token": t.access_token, "refresh_token": t.refresh_token, "expires_in": t.expires_in, "token_type": "Bearer"}),
        ac.flow,
    ))
}

async fn refresh_grant(
    cx: &Cognito,
    client: &Client,
    f: &HashMap<String, String>,
    flow: &str,
) -> Result<Value, OAuthError> {
    let token = f
        .get("refresh_token")
        .ok_or_else(|| oauth("invalid_request", "refresh_token is required"))?;
    let row = cx
        .store
        .refresh(&tokens::hash_refresh(token))
        .ok()
        .flatten()
        .ok_or_else(|| oauth("invalid_grant", "Invalid refresh token"))?;
    if row.client_id != client.client_id || row.revoked || row.expires <= cx.clock.now_secs() {
        return Err(oauth(
            "invalid_grant",
            "Refresh token is invalid, revoked or expired",
        ));
    }
    let pool = api::pool(cx, &client.pool_id).map_err(|e| oauth("invalid_grant", e.message))?;
    let user = cx
        .store
        .user_by_id(row.user_id)
        .ok()
        .flatten()
        .filter(|u| u.enabled)
        .ok_or_else(|| oauth("invalid_grant", "User does not exist or is disabled"))?;
    let overrides = triggers::pre_token(
        cx,
        &pool,
        client,
        &user,
        "TokenGeneration_RefreshTokens",
        flow,
    )
    .await
    .map_err(|e| oauth("invalid_request", e.redirect_message("PreTokenGeneration")))?;
    // The scope granted at sign-in; tokens stored before migration 3 fall back to the client's.
    let scope = if row.scope.is_empty() {
        client.list("AllowedOAuthScopes").join(" ")
    } else {
        row.scope.clone()
    };
    let grant = Grant {
        pool: &pool,
        client,
        user: &user,
        auth_time: row.auth_time,
        scope,
        nonce: None,
        origin_jti: Some(row.origin_jti),
        with_refresh: false,
        overrides,
        device_key: None,
    };
    let t = tokens::issue(cx, &grant).map_err(|e| oauth("invalid_request", e.message))?;
    Ok(
        json!({"id_token": t.id_token, "access_token": t.access_token, "expires_in": t.expires_in, "token_type": "Bearer"}),
    )
}

/// Machine-to-machine: an access token for resource-server scopes, no user, no ID token.
fn client_credentials(
    cx: &Cognito,
    client: &Client,
    f: &HashMap<String, String>,
) -> Result<Value, OAuthError> {
    if client.secret.is_none()
        || !client
            .list("AllowedOAuthFlows")
            .iter()
            .any(|x| x == "client_credentials")
    {
        return Err(oauth(
            "unauthorized_client",
            "client_credentials is not enabled for this client",
        ));
    }
    let rs: Vec<ResourceServer> = cx.store.list(Some(&client.pool_id)).unwrap_or_default();
    let custom: Vec<String> = rs
        .iter()
        .flat_map(|r| {
            r.scopes
                .iter()
                .filter_map(|s| s["ScopeName"].as_str())
                .map(|s| format!("{}/{s}", r.identifier))
                .collect::<Vec<_>>()
        })
        .collect();
    let allowed: Vec<String> = client
        .list("AllowedOAuthScopes")
        .into_iter()
        .filter(|s| custom.contains(s))
        .collect();
    let scopes: Vec<String> = match f.get("scope") {
        Some(s) => s
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        None => allowed.clone(),
    };
    if scopes.is_empty() || scopes.iter().any(|s| !allowed.contains(s)) {
        return Err(oauth(
            "invalid_scope",
            "Scopes must be resource-server scopes allowed for this client",
        ));
    }
    let keys = cx
        .keys
        .get(cx, &client.pool_id)
        .map_err(|e| oauth("invalid_request", e.message))?;
    let now = cx.clock.now_secs();
    let ttl = client.validity_secs("AccessToken", 3600);
    let claims = json!({
        "sub": client.client_id, "token_use": "access", "scope": scopes.join(" "), "auth_time": now,
        "iss": cx.issuer(&client.pool_id), "exp": now + ttl, "iat": now, "version": 2,
        "jti": cx.entropy.uuid(), "client_id": client.client_id,
    });
    let access = keys
        .access
        .sign(&claims)
        .map_err(|e| oauth("invalid_request", e.message))?;
    Ok(json!({"access_token": access, "expires_in": ttl, "token_type": "Bearer"}))
}
