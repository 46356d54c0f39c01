//! The control plane under `/_emulator/`: health, reset, the outbox, the event journal and
//! injected faults.
//! Apart from the emulated APIs, so tests and harnesses never mistake it for Cognito.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use crate::cognito::Cognito;
use crate::config::Config;
use crate::faults::http as faults;
use crate::journal::{self, EventKind, Service};

#[derive(Debug, Clone)]
pub struct Control {
    pub cognito: Cognito,
    /// The passwordless IdP, when configured.
    pub idp: Option<crate::idp::Idp>,
    pub config: std::sync::Arc<Config>,
}

pub fn router(state: Control) -> Router {
    Router::new()
        .route("/_emulator/health", get(health_get))
        .route("/_emulator/reset", axum::routing::post(reset_post))
        .route("/_emulator/outbox", get(outbox_get).delete(outbox_delete))
        .route("/_emulator/journal", get(journal_get))
        .route("/_emulator/idp/users", get(crate::idp::admin::users_get))
        .route(
            "/_emulator/faults",
            get(faults::faults_get)
                .post(faults::faults_post)
                .delete(faults::faults_delete),
        )
        .route("/_emulator/doctor", get(doctor_get))
        .with_state(state)
}

async fn health_get() -> Response {
    axum::Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})).into_response()
}

/// Wipe all state, then apply the config again: back to a fresh start.
pub async fn reset_post(State(s): State<Control>) -> Response {
    let cx = &s.cognito;
    let wiped = cx.store.wipe();
    cx.keys.clear();
    if let Some(idp) = &s.idp {
        idp.reset();
    }
    cx.outbox.clear();
    cx.journal.clear();
    cx.faults.clear();
    let result = wiped
        .map_err(|e| e.to_string())
        .and_then(|()| crate::seed::apply(cx, &s.config));
    match result {
        Ok(()) => {
            cx.journal
                .record(Service::Control, EventKind::Admin, "reset", None, json!({}));
            axum::Json(json!({"status": "reset"})).into_response()
        }
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({"error": e})),
        )
            .into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct OutboxQuery {
    destination: Option<String>,
}

async fn outbox_get(State(s): State<Control>, Query(q): Query<OutboxQuery>) -> Response {
    axum::Json(json!({"messages": s.cognito.outbox.list(q.destination.as_deref())})).into_response()
}

async fn outbox_delete(State(s): State<Control>) -> Response {
    s.cognito.outbox.clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn journal_get(
    State(s): State<Control>,
    q: Result<Query<journal::Query>, axum::extract::rejection::QueryRejection>,
) -> Response {
    match q {
        Ok(Query(q)) => {
            axum::Json(json!({"events": s.cognito.journal.wait_for(&q).await})).into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": e.body_text()})),
        )
            .into_response(),
    }
}

/// `emulator doctor` for the running emulator: its config's checks and its journal's.
async fn doctor_get(State(s): State<Control>) -> Response {
    let mut findings = crate::doctor::static_checks(&s.config, None);
    let events = s.cognito.journal.query(&journal::Query::default());
    findings.extend(crate::doctor::journal::check_events(&events));
    axum::Json(json!({"findings": findings})).into_response()
}
