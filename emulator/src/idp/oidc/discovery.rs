//! `/cis/oidc/.well-known/openid-configuration` and `/cis/oidc/jwks`. Endpoint URLs are on the
//! emulator's public URL; the issuer is the configured one. A tenant whose issuer is the IdP's
//! own address (`issuer = "self"`) has its document at that address too.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::idp::Idp;
use crate::journal::EventKind;

pub fn document(idp: &Idp, issuer: &str) -> Value {
    let base = format!("{}/cis/oidc", idp.settings.public_url);
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/auth"),
        "token_endpoint": format!("{base}/token"),
        "userinfo_endpoint": format!("{base}/me"),
        "jwks_uri": format!("{base}/jwks"),
        "end_session_endpoint": format!("{base}/session/end"),
        "revocation_endpoint": format!("{base}/token/revocation"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "email", "phone", "offline_access"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
            "amr", "tid", "email", "email_verified", "phone_number", "phone_number_verified",
            "new_user"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    })
}

pub async fn discovery_get(State(idp): State<Idp>) -> Response {
    idp.record(EventKind::FlowStep, "oidc.discovery", None, Value::Null);
    axum::Json(document(&idp, &idp.settings.issuer)).into_response()
}

/// `/tenants/{tenant}/.well-known/openid-configuration`, for a tenant with `issuer = "self"`.
pub async fn tenant_discovery_get(State(idp): State<Idp>, Path(tenant): Path<String>) -> Response {
    let own = crate::idp::self_issuer(&idp.settings.public_url, &tenant);
    match idp.settings.tenant_issuers.get(&tenant) {
        Some(issuer) if *issuer == own => {
            idp.record(
                EventKind::FlowStep,
                "oidc.discovery",
                None,
                json!({"tenant": tenant}),
            );
            axum::Json(document(&idp, issuer)).into_response()
        }
        _ => {
            let reason = format!("no tenant {tenant} with its own issuer");
            idp.record(
                EventKind::Rejected,
                "oidc.discovery",
                None,
                json!({"reason": reason}),
            );
            let body = json!({"error": "not_found", "error_description": reason});
            (axum::http::StatusCode::NOT_FOUND, axum::Json(body)).into_response()
        }
    }
}

pub async fn jwks_get(State(idp): State<Idp>) -> Response {
    idp.record(EventKind::FlowStep, "oidc.jwks", None, Value::Null);
    let published = idp.faults.key_rotated().is_some_and(|k| k.published);
    match idp.keys.jwks(&idp.store, &idp.entropy, published) {
        Ok(jwks) => axum::Json(jwks).into_response(),
        Err(e) => e.into_response(),
    }
}
