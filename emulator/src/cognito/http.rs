//! The user pool's HTTP surface: the AWS JSON 1.1 endpoint (`POST /`) and the pool's
//! `.well-known` documents. Handlers extract, call the operation, and map errors.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::Cognito;
use super::api::Operation;
use super::error::{CognitoError, Exception};
use crate::journal::{EventKind, Service};

/// The largest request body accepted (AWS's JSON APIs refuse far smaller ones).
pub const MAX_BODY: usize = 1 << 20;

pub fn router(cx: Cognito) -> Router {
    Router::new()
        .route("/", post(api_post))
        .route("/{pool_id}/.well-known/jwks.json", get(jwks_get))
        .route(
            "/{pool_id}/.well-known/openid-configuration",
            get(discovery_get),
        )
        .with_state(cx.clone())
        .layer(super::cors::api())
        .merge(super::oauth::router(cx))
}

impl IntoResponse for CognitoError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.exception.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let body = json!({"__type": self.exception.name(), "message": self.message});
        let mut resp = (status, body.to_string()).into_response();
        let headers = resp.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        if let Ok(v) = HeaderValue::from_str(self.exception.name()) {
            headers.insert("x-amzn-ErrorType", v);
        }
        resp
    }
}

/// Decode the body into a JSON object: what the SDK sent, or why it is unusable.
fn parse_body(bytes: &[u8]) -> Result<Value, CognitoError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        CognitoError::new(
            Exception::Serialization,
            format!("Request body is not valid UTF-8: {e}"),
        )
    })?;
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(CognitoError::new(
            Exception::Serialization,
            "Request body must be a JSON object",
        )),
        Err(e) => Err(CognitoError::new(
            Exception::Serialization,
            format!("Malformed JSON: {e}"),
        )),
    }
}

async fn api_post(State(cx): State<Cognito>, headers: HeaderMap, body: Body) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let flow = headers
        .get("x-emulator-flow")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let op = Operation::from_target(target);
    let name = op
        .as_ref()
        .map(|o| o.name())
        .unwrap_or("Unknown")
        .to_owned();
    let bytes: Result<Bytes, CognitoError> =
        axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
            CognitoError::new(
                Exception::Serialization,
                format!("Request body exceeds the limit of {MAX_BODY} bytes"),
            )
        });
    let too_large = bytes.is_err();
    let request = bytes.and_then(|b| parse_body(&b));
    // A call from a running trigger's handler joins the flow that invoked it.
    let flow = flow.or_else(|| {
        let body = request.as_ref().ok()?;
        let pool_id = body.get("UserPoolId")?.as_str()?;
        cx.services.triggers.active_flow(pool_id)
    });
    // Without a flow, the call is its own: its request id (x-amzn-RequestId) correlates it.
    let flow = flow.unwrap_or_else(|| cx.entropy.uuid());
    let (request_detail, secrets) = request
        .as_ref()
        .map(|v| crate::redact::value(v.clone()))
        .unwrap_or((Value::Null, Vec::new()));
    let outcome = match (op, request) {
        (Ok(op), Ok(body)) => {
            // A trigger's handler calls with its function's role: IAM's verdict comes first.
            let pool_id = body.get("UserPoolId").and_then(Value::as_str);
            let roles = &cx.services.roles;
            match roles.authorize(&headers, op.name(), &cx.region, pool_id) {
                Ok(()) => op.run(&cx, body, &flow).await,
                Err(e) => Err(e),
            }
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let request_id = HeaderValue::from_str(&flow).ok();
    let flow = Some(flow.as_str());
    let mut resp = match outcome {
        Ok(out) => {
            cx.journal.record(
                Service::Cognito,
                EventKind::ApiCall,
                &name,
                flow,
                json!({"request": request_detail}),
            );
            let mut resp = (StatusCode::OK, out.to_string()).into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-amz-json-1.1"),
            );
            resp
        }
        Err(e) => {
            let message = crate::redact::message(&e.message, &secrets);
            let mut detail = json!({"request": request_detail, "error": e.exception.name(), "message": message, "target": target});
            if let Some(check) = &e.check {
                detail["check"] = json!(check);
            }
            cx.journal
                .record(Service::Cognito, EventKind::Rejected, &name, flow, detail);
            let mut resp = e.into_response();
            if too_large {
                *resp.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            }
            resp
        }
    };
    if let Some(id) = request_id {
        resp.headers_mut().insert("x-amzn-RequestId", id);
    }
    resp
}

async fn jwks_get(State(cx): State<Cognito>, Path(pool_id): Path<String>) -> Response {
    match cx.keys.jwks(&cx, &pool_id) {
        Ok(jwks) => axum::Json(jwks).into_response(),
        Err(e) => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": e.message})),
        )
            .into_response(),
    }
}

async fn discovery_get(State(cx): State<Cognito>, Path(pool_id): Path<String>) -> Response {
    if super::api::pool(&cx, &pool_id).is_err() {
        let msg = format!("User pool {pool_id} does not exist.");
        return (StatusCode::NOT_FOUND, axum::Json(json!({"message": msg}))).into_response();
    }
    let iss = cx.issuer(&pool_id);
    axum::Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{}/oauth2/authorize", cx.base_url),
        "token_endpoint": format!("{}/oauth2/token", cx.base_url),
        "userinfo_endpoint": format!("{}/oauth2/userInfo", cx.base_url),
        "revocation_endpoint": format!("{}/oauth2/revoke", cx.base_url),
        "end_session_endpoint": format!("{}/logout", cx.base_url),
        "jwks_uri": format!("{}/{pool_id}/.well-known/jwks.json", cx.base_url),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "response_types_supported": ["code", "token"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
    }))
    .into_response()
}
