//! `/oauth2/userInfo` (Bearer access token) and `/oauth2/revoke` (refresh tokens).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::token::{client_auth, form, oauth};
use super::{Cognito, rejected};
use crate::cognito::tokens;

fn bearer_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut r = (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response();
    let v = format!("Bearer error=\"{error}\", error_description=\"{description}\"");
    if let Ok(v) = HeaderValue::from_str(&v) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

pub async fn userinfo_get(State(cx): State<Cognito>, headers: HeaderMap) -> Response {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        rejected(
            &cx,
            "oauth2.userInfo",
            None,
            json!({"error": "invalid_request"}),
        );
        return bearer_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Bearer access token is required",
        );
    };
    match tokens::check_access_token(&cx, token.trim()) {
        Ok((_, claims, user)) => {
            let scopes: Vec<&str> = claims["scope"].as_str().unwrap_or("").split(' ').collect();
            if !scopes.contains(&"openid") && !scopes.contains(&"aws.cognito.signin.user.admin") {
                return bearer_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "Access token lacks the openid scope",
                );
            }
            let mut out = serde_json::Map::new();
            for (k, v) in &user.attributes {
                out.insert(k.clone(), json!(v));
            }
            out.insert("username".into(), json!(user.username));
            axum::Json(Value::Object(out)).into_response()
        }
        Err(e) => {
            rejected(
                &cx,
                "oauth2.userInfo",
                None,
                json!({"error": "invalid_token", "message": e.message, "check": e.check}),
            );
            bearer_error(StatusCode::UNAUTHORIZED, "invalid_token", &e.message)
        }
    }
}

pub async fn revoke_post(State(cx): State<Cognito>, headers: HeaderMap, body: Bytes) -> Response {
    let f = form(&body);
    let outcome = (|| {
        let client = client_auth(&cx, &headers, &f)?;
        let token = f
            .get("token")
            .ok_or_else(|| oauth("invalid_request", "token is required"))?;
        let Some(row) = cx
            .store
            .refresh(&tokens::hash_refresh(token))
            .ok()
            .flatten()
        else {
            return Err(oauth(
                "unsupported_token_type",
                "Only refresh tokens can be revoked",
            ));
        };
        if row.client_id != client.client_id {
            return Err(oauth(
                "invalid_request",
                "Token was issued to another client",
            ));
        }
        cx.store
            .revoke_origin(&row.origin_jti, cx.clock.now_secs())
            .map_err(|e| oauth("invalid_request", e.to_string()))
    })();
    match outcome {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => {
            rejected(
                &cx,
                "oauth2.revoke",
                None,
                json!({"error": e.error, "error_description": e.description}),
            );
            e.into_response()
        }
    }
}
