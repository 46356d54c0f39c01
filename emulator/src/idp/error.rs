//! The IdP's two error vocabularies: OAuth 2.0 / OIDC errors (`error`, `error_description`) for
//! the `/cis/oidc` endpoints, and the vendor's JSON API shape (`{"message": [...],
//! "error_code": 400}`) for the hosted experience's endpoints.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;

/// An OAuth error as RFC 6749 names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {description}")]
pub struct OAuthError {
    pub error: &'static str,
    pub description: String,
    pub status: u16,
}

macro_rules! oauth_errors {
    ($($fn:ident => $code:literal, $status:literal;)*) => {
        impl OAuthError {
            $(pub fn $fn(description: impl Into<String>) -> Self {
                Self { error: $code, description: description.into(), status: $status }
            })*
        }
    };
}

oauth_errors! {
    invalid_request => "invalid_request", 400;
    invalid_client => "invalid_client", 401;
    invalid_grant => "invalid_grant", 400;
    unauthorized_client => "unauthorized_client", 400;
    unsupported_grant_type => "unsupported_grant_type", 400;
    unsupported_response_type => "unsupported_response_type", 400;
    invalid_scope => "invalid_scope", 400;
    login_required => "login_required", 400;
    invalid_redirect_uri => "invalid_redirect_uri", 400;
    invalid_token => "invalid_token", 401;
    server_error => "server_error", 500;
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        OAuthError::server_error(e.to_string())
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let body = json!({"error": self.error, "error_description": self.description});
        let mut resp = (status, axum::Json(body)).into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == 401 {
            let scheme = if self.error == "invalid_token" {
                "Bearer"
            } else {
                "Basic"
            };
            let value = format!("{scheme} error=\"{}\"", self.error);
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(header::WWW_AUTHENTICATE, v);
            }
        }
        resp
    }
}

/// An error of the hosted experience's JSON API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ApiError {
    /// A stable name for the journal and tests (`otp_invalid`, `ticket_expired`, ...).
    pub name: &'static str,
    pub message: String,
    pub status: u16,
}

impl ApiError {
    pub fn new(status: u16, name: &'static str, message: impl Into<String>) -> Self {
        Self {
            name,
            message: message.into(),
            status,
        }
    }

    pub fn bad(name: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, name, message)
    }

    pub fn not_found(name: &'static str, message: impl Into<String>) -> Self {
        Self::new(404, name, message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::new(500, "internal", e.to_string())
    }
}

impl From<OAuthError> for ApiError {
    fn from(e: OAuthError) -> Self {
        ApiError::new(e.status, "oauth", e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let body =
            json!({"message": [self.message], "error_code": self.status, "error": self.name});
        (status, axum::Json(body)).into_response()
    }
}
