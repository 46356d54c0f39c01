//! `/_emulator/faults` (GET lists, POST sets one, DELETE clears all; each change journaled as
//! a control event naming the fault), and the IdP listener's layer that makes its token,
//! userinfo and JWKS endpoints slow, failing or malformed while a fault says so.

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Endpoint, EndpointFault, Fault};
use crate::control::Control;
use crate::idp::Idp;
use crate::journal::{EventKind, Service};

/// A fault as the control plane lists it: its fields and its label.
pub fn listed(fault: &Fault) -> Value {
    let mut v = serde_json::to_value(fault).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.insert("label".into(), fault.label().into());
    }
    v
}

fn list(s: &Control) -> Value {
    json!({"faults": s.cognito.faults.list().iter().map(listed).collect::<Vec<_>>()})
}

pub async fn faults_get(State(s): State<Control>) -> Response {
    axum::Json(list(&s)).into_response()
}

/// Sets one fault from a JSON body, journaled either way; bad input changes nothing.
pub fn set_json(s: &Control, body: &[u8]) -> Result<Fault, String> {
    let journal = &s.cognito.journal;
    let parsed = serde_json::from_slice::<Fault>(body).map_err(|e| e.to_string());
    match parsed.and_then(|f| s.cognito.faults.set(f.clone()).map(|()| f)) {
        Ok(fault) => {
            journal.record(
                Service::Control,
                EventKind::Admin,
                "fault.set",
                None,
                json!({"fault": fault.label(), "spec": fault}),
            );
            Ok(fault)
        }
        Err(e) => {
            journal.record(
                Service::Control,
                EventKind::Rejected,
                "fault.set",
                None,
                json!({"error": e}),
            );
            Err(e)
        }
    }
}

/// Clears every fault, journaled with the ones it cleared.
pub fn clear_all(s: &Control) {
    let cleared = s.cognito.faults.clear();
    let labels: Vec<String> = cleared.iter().map(Fault::label).collect();
    s.cognito.journal.record(
        Service::Control,
        EventKind::Admin,
        "faults.cleared",
        None,
        json!({"faults": labels}),
    );
}

/// Sets one fault; bad input is a 400 naming the problem.
pub async fn faults_post(State(s): State<Control>, body: Bytes) -> Response {
    match set_json(&s, &body) {
        Ok(_) => (StatusCode::CREATED, axum::Json(list(&s))).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, axum::Json(json!({"error": e}))).into_response(),
    }
}

pub async fn faults_delete(State(s): State<Control>) -> Response {
    clear_all(&s);
    axum::Json(list(&s)).into_response()
}

/// The IdP's endpoints under a fault: the delay first, then the failing status or the
/// malformed body instead of the endpoint's answer. Each use is a `fault.injected` event.
pub async fn idp_endpoints(State(idp): State<Idp>, req: Request, next: Next) -> Response {
    let Some(endpoint) = Endpoint::of_path(req.uri().path()) else {
        return next.run(req).await;
    };
    let Some(f) = idp.faults.endpoint(endpoint) else {
        return next.run(req).await;
    };
    let label = Fault::IdpEndpoint(f.clone()).label();
    let replaced = f.status.is_some() || f.malformed;
    let kind = if replaced {
        EventKind::Rejected
    } else {
        EventKind::FlowStep
    };
    idp.record(
        kind,
        "fault.injected",
        None,
        json!({"fault": label, "endpoint": endpoint.name(), "status": f.status}),
    );
    if f.delay_ms > 0 {
        // The fault's effect, not a synchronisation: the IdP is slow.
        tokio::time::sleep(std::time::Duration::from_millis(f.delay_ms)).await;
    }
    match injected(&f, &label) {
        Some(resp) => resp,
        None => next.run(req).await,
    }
}

/// The answer a failing or malformed endpoint gives instead of its own.
fn injected(f: &EndpointFault, label: &str) -> Option<Response> {
    if let Some(status) = f.status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let error =
            f.error
                .clone()
                .unwrap_or_else(|| match (status.is_server_error(), f.endpoint) {
                    (true, _) => "server_error".into(),
                    (false, Endpoint::Userinfo) => "invalid_token".into(),
                    (false, _) => "invalid_request".into(),
                });
        let body = json!({"error": error, "error_description": format!("injected fault: {label}")});
        return Some((status, axum::Json(body)).into_response());
    }
    if f.malformed {
        let body = "{\"keys\": [{\"kty\": \"RSA\", <html>502 Bad Gateway</html>";
        return Some(([(header::CONTENT_TYPE, "application/json")], body).into_response());
    }
    None
}
