//! `GET|POST /cis/oidc/me`: the claims an access token's scopes release. The token comes from
//! `Authorization: Bearer` or, for POST, the form's `access_token`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::scoped_claims;
use super::token::grant_revoked;
use crate::idp::error::OAuthError;
use crate::idp::model::{POOL, TokenRecord};
use crate::idp::{Idp, sha256_b64};
use crate::journal::EventKind;

/// Claims for a bearer token.
pub fn userinfo(idp: &Idp, token: &str) -> Result<Value, OAuthError> {
    let invalid = || OAuthError::invalid_token("access token is invalid, expired or revoked");
    let record: TokenRecord = idp
        .store
        .get(POOL, &sha256_b64(token.as_bytes()))?
        .filter(|r: &TokenRecord| !r.refresh)
        .ok_or_else(invalid)?;
    if record.expires_ms <= idp.now_ms() || grant_revoked(idp, &record.grant)? {
        return Err(invalid());
    }
    let user = idp.store.idp_user(&record.grant.sub)?.ok_or_else(invalid)?;
    let alias = idp
        .app(&record.grant.client_id)
        .is_some_and(|a| a.config.phone_alias);
    let claims = scoped_claims(&user, &record.grant, alias);
    let released: Vec<&String> = claims.keys().collect();
    idp.record(
        EventKind::FlowStep,
        "oidc.userinfo",
        Some(&record.grant.flow),
        json!({"claims": released}),
    );
    Ok(Value::Object(claims))
}

fn bearer(headers: &HeaderMap, body: &[u8]) -> Result<String, OAuthError> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|v| v.trim().to_owned());
    let form = url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned());
    match (header, form) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "access token sent in both the header and the body",
        )),
        (Some(t), None) | (None, Some(t)) => Ok(t),
        (None, None) => Err(OAuthError::invalid_token(
            "no access token: send Authorization: Bearer <token>",
        )),
    }
}

pub async fn me(State(idp): State<Idp>, headers: HeaderMap, body: Bytes) -> Response {
    match bearer(&headers, &body).and_then(|t| userinfo(&idp, &t)) {
        Ok(claims) => axum::Json(claims).into_response(),
        Err(e) => {
            idp.record(
                EventKind::Rejected,
                "oidc.userinfo",
                None,
                json!({"error": e.error, "error_description": e.description}),
            );
            e.into_response()
        }
    }
}
