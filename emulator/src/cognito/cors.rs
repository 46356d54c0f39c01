//! CORS as AWS answers it, so browser apps (Amplify, amazon-cognito-identity-js) can call the
//! user pool from their own origin.
//!
//! The JSON API (`POST /` with `X-Amz-Target`) is called with `fetch` and custom headers, so
//! every call is preceded by a preflight; AWS answers any origin (`*`), allows the headers the
//! browser asks for, and exposes its request id and error headers, which the SDKs read. The
//! OAuth endpoints (`/oauth2/token`, `/oauth2/userInfo`, `/oauth2/revoke`) are called by the
//! same apps after a hosted sign-in; they answer with the caller's origin, which also serves
//! a caller that sends credentials. The hosted pages themselves are navigations: no CORS.

use std::time::Duration;

use axum::http::{HeaderName, Method};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer, ExposeHeaders};

/// Headers the SDKs read from answers: the request id, and the error type and message.
const EXPOSED: [&str; 4] = [
    "x-amzn-requestid",
    "x-amzn-errortype",
    "x-amzn-errormessage",
    "date",
];

/// How long a browser may cache a preflight answer (AWS: two days).
const MAX_AGE: Duration = Duration::from_secs(172_800);

fn exposed() -> ExposeHeaders {
    ExposeHeaders::list(EXPOSED.map(HeaderName::from_static))
}

/// The JSON API: any origin, the headers the preflight asks for, `POST`.
pub fn api() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::POST, Method::GET, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers(exposed())
        .max_age(MAX_AGE)
}

/// The OAuth 2.0 endpoints apps call with `fetch`: the caller's origin, credentials allowed.
pub fn oauth() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers(exposed())
        .max_age(MAX_AGE)
}
