//! `POST /cis/oidc/token`: client authentication (client_secret_post or Basic, PKCE per app),
//! the authorization-code grant (single use: a reused code revokes what it issued) and the
//! refresh-token grant; RS256 ID tokens with the vendor's claims.

use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::{Value, json};

use super::{Params, client_credentials, scoped_claims};
use crate::idp::config::PkceMode;
use crate::idp::error::OAuthError;
use crate::idp::model::{AuthCode, CodeUse, Grant, POOL, RevokedGrant, TokenRecord};
use crate::idp::{App, Idp, sha256_b64};
use crate::journal::EventKind;
use crate::store::{IdpUserRow, StoreError};

/// Authenticates the client; returns its app and whether it proved a secret.
pub fn authenticate<'a>(
    idp: &'a Idp,
    headers: &HeaderMap,
    p: &Params,
) -> Result<&'a App, OAuthError> {
    let (client_id, secret) = client_credentials(headers, p)?;
    if p.get("client_id").is_some_and(|id| id != client_id) {
        return Err(OAuthError::invalid_request(
            "client_id does not match the authenticated client",
        ));
    }
    let app = idp.app(&client_id).ok_or_else(|| {
        OAuthError::invalid_client("client authentication failed: unknown client")
    })?;
    match (&app.config.client_secret, secret) {
        (Some(expected), Some(given)) if *expected == given => Ok(app),
        (_, Some(_)) => Err(OAuthError::invalid_client(
            "client authentication failed: wrong client_secret",
        )),
        (_, None) if app.config.pkce == PkceMode::RequiredInsteadOfSecret => Ok(app),
        (_, None) => Err(OAuthError::invalid_client(
            "client authentication failed: client_secret is required (client_secret_post or Basic)",
        )),
    }
}

/// Exchanges a code. A used code is `invalid_grant`, and its grant's tokens are revoked.
pub fn exchange_code(idp: &Idp, app: &App, p: &Params) -> Result<Value, OAuthError> {
    let code = p.require("code")?;
    let key = sha256_b64(code.as_bytes());
    let invalid = || OAuthError::invalid_grant("authorization code is invalid or expired");
    let record: AuthCode = idp.store.get(POOL, &key)?.ok_or_else(invalid)?;
    if record.grant.client_id != app.config.client_id {
        return Err(OAuthError::invalid_grant(
            "authorization code was issued to another client",
        ));
    }
    if idp.store.get::<CodeUse>(POOL, &key)?.is_some() {
        return Err(reused(idp, &record));
    }
    if record.expires_ms <= idp.now_ms() {
        return Err(invalid());
    }
    if p.get("redirect_uri") != Some(record.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the one of the authorization request",
        ));
    }
    match (&record.code_challenge, p.get("code_verifier")) {
        (Some(challenge), Some(verifier)) => {
            if sha256_b64(verifier.as_bytes()) != *challenge {
                return Err(OAuthError::invalid_grant(
                    "PKCE verification failed: code_verifier does not match code_challenge",
                ));
            }
        }
        (Some(_), None) => {
            return Err(OAuthError::invalid_grant(
                "PKCE verification failed: code_verifier is required",
            ));
        }
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "PKCE verification failed: the authorization request had no code_challenge",
            ));
        }
        (None, None) => {}
    }
    // The claim is one conditional insert: of two concurrent exchanges, one wins.
    match idp.store.insert(
        POOL,
        &key,
        &CodeUse {
            at_ms: idp.now_ms(),
        },
    ) {
        Err(StoreError::Conflict(_)) => return Err(reused(idp, &record)),
        other => other?,
    }
    let with_refresh = record.grant.scope.iter().any(|s| s == "offline_access");
    issue_tokens(idp, app, &record.grant, with_refresh)
}

/// A reused code: its grant (the tokens issued from it) is revoked.
fn reused(idp: &Idp, record: &AuthCode) -> OAuthError {
    let revoked = RevokedGrant {
        reason: "authorization code reused".into(),
    };
    if let Err(e) = idp.store.put(POOL, &record.grant.id, &revoked) {
        return e.into();
    }
    idp.record(
        EventKind::FlowStep,
        "oidc.grant_revoked",
        Some(&record.grant.flow),
        json!({"reason": revoked.reason}),
    );
    OAuthError::invalid_grant(
        "authorization code has already been used; tokens issued from it are revoked",
    )
}

/// A new access and ID token for a refresh token (the refresh token itself stays valid).
pub fn refresh(idp: &Idp, app: &App, p: &Params) -> Result<Value, OAuthError> {
    let token = p.require("refresh_token")?;
    let invalid = || OAuthError::invalid_grant("refresh token is invalid, expired or revoked");
    let record: TokenRecord = idp
        .store
        .get(POOL, &sha256_b64(token.as_bytes()))?
        .filter(|r: &TokenRecord| r.refresh)
        .ok_or_else(invalid)?;
    if record.grant.client_id != app.config.client_id {
        return Err(OAuthError::invalid_grant(
            "refresh token was issued to another client",
        ));
    }
    if record.expires_ms <= idp.now_ms() || grant_revoked(idp, &record.grant)? {
        return Err(invalid());
    }
    let mut grant = record.grant.clone();
    if let Some(scope) = p.get("scope") {
        let asked: Vec<String> = scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(bad) = asked.iter().find(|s| !grant.scope.contains(s)) {
            return Err(OAuthError::invalid_scope(format!(
                "scope '{bad}' was not granted"
            )));
        }
        grant.scope = asked;
    }
    let mut body = issue_tokens(idp, app, &grant, false)?;
    body["refresh_token"] = json!(token);
    Ok(body)
}

pub fn grant_revoked(idp: &Idp, grant: &Grant) -> Result<bool, OAuthError> {
    Ok(idp.store.get::<RevokedGrant>(POOL, &grant.id)?.is_some())
}

fn random_token(idp: &Idp) -> String {
    B64URL.encode(idp.entropy.bytes::<32>())
}

/// Access token (opaque, stored by hash), ID token (RS256) and, with `offline_access`, a
/// refresh token.
pub fn issue_tokens(
    idp: &Idp,
    app: &App,
    grant: &Grant,
    with_refresh: bool,
) -> Result<Value, OAuthError> {
    let user = idp
        .store
        .idp_user(&grant.sub)?
        .ok_or_else(|| OAuthError::invalid_grant("the user of this grant no longer exists"))?;
    let now_ms = idp.now_ms();
    let ttl = app.config.access_token_ttl_secs;
    let access = random_token(idp);
    let claims = id_token_claims(app, grant, &user, &access, now_ms / 1000);
    let id_token = idp.signing_key(&grant.flow)?.sign(&claims)?;
    let mut body = json!({
        "access_token": access, "id_token": id_token, "token_type": "Bearer",
        "expires_in": ttl, "scope": grant.scope.join(" "),
    });
    let store = |token: &str, ttl_secs: i64, refresh: bool| {
        let record = TokenRecord {
            grant: grant.clone(),
            expires_ms: now_ms + ttl_secs * 1000,
            refresh,
        };
        idp.store.put(POOL, &sha256_b64(token.as_bytes()), &record)
    };
    store(&access, ttl, false)?;
    if with_refresh {
        let refresh = random_token(idp);
        store(&refresh, app.config.refresh_token_ttl_secs, true)?;
        body["refresh_token"] = json!(refresh);
    }
    idp.record(
        EventKind::FlowStep,
        "oidc.tokens_issued",
        Some(&grant.flow),
        json!({"client_id": grant.client_id, "sub": grant.sub, "refresh": with_refresh}),
    );
    Ok(body)
}

/// The ID token's claims (pure): the scoped user claims, the vendor's claims, and `at_hash`
/// (the left half of SHA-256 of the access token).
pub fn id_token_claims(
    app: &App,
    grant: &Grant,
    user: &IdpUserRow,
    access_token: &str,
    now: i64,
) -> Value {
    let mut claims = scoped_claims(user, grant, app.config.phone_alias);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    let at_hash = B64URL.encode(&digest.as_ref()[..16]);
    for (k, v) in [
        ("iss", json!(app.issuer)),
        ("aud", json!(app.config.client_id)),
        ("exp", json!(now + app.config.access_token_ttl_secs)),
        ("iat", json!(now)),
        ("auth_time", json!(grant.auth_time)),
        ("tid", json!(grant.tenant)),
        ("at_hash", json!(at_hash)),
        ("amr", json!(grant.amr)),
        ("new_user", json!(grant.new_user)),
    ] {
        claims.insert(k.into(), v);
    }
    if let Some(n) = &grant.nonce {
        claims.insert("nonce".into(), json!(n));
    }
    Value::Object(claims)
}

fn token(
    idp: &Idp,
    headers: &HeaderMap,
    pairs: Vec<(String, String)>,
) -> Result<Value, OAuthError> {
    let p = Params::parse(pairs)?;
    let app = authenticate(idp, headers, &p)?;
    match p.require("grant_type")? {
        "authorization_code" => exchange_code(idp, app, &p),
        "refresh_token" => refresh(idp, app, &p),
        other => Err(OAuthError::unsupported_grant_type(format!(
            "grant_type '{other}' is not supported"
        ))),
    }
}

pub async fn token_post(
    State(idp): State<Idp>,
    headers: HeaderMap,
    f: Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let result = f
        .map_err(|e| OAuthError::invalid_request(e.body_text()))
        .and_then(|Form(pairs)| token(&idp, &headers, pairs));
    match result {
        Ok(body) => (
            [(axum::http::header::CACHE_CONTROL, "no-store")],
            axum::Json(body),
        )
            .into_response(),
        Err(e) => {
            idp.record(
                EventKind::Rejected,
                "oidc.token",
                None,
                json!({"error": e.error, "error_description": e.description}),
            );
            e.into_response()
        }
    }
}
