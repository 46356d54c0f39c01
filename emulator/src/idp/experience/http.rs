//! JSON endpoints of the hosted experience (`/cis/api/...`) and its pages (`/cis/login/{id}`,
//! `/cis/m/{ticket}`, the QR image). Handlers extract, call, and map `ApiError`s to the
//! vendor's `{"message": [...], "error_code": N}`; every rejection is journaled.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use super::{ceremony, flow};
use crate::idp::error::ApiError;
use crate::idp::model::{POOL, Ticket};
use crate::idp::oidc::authorize::session_cookie;
use crate::idp::{Idp, pages, qr};
use crate::journal::EventKind;

fn respond(idp: &Idp, step: &str, flow_id: Option<&str>, r: Result<Value, ApiError>) -> Response {
    match r {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => {
            idp.record(
                EventKind::Rejected,
                step,
                flow_id,
                json!({"error": e.name, "message": e.message}),
            );
            e.into_response()
        }
    }
}

fn completed(idp: &Idp, step: &str, id: &str, r: Result<flow::Completed, ApiError>) -> Response {
    match r {
        Ok(done) => with_session(
            axum::Json(json!({"step": "done", "redirect": done.redirect})).into_response(),
            &done.session,
        ),
        Err(e) => respond(idp, step, Some(id), Err(e)),
    }
}

fn with_session(mut resp: Response, session: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&session_cookie(session)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn field(body: &[u8], name: &str) -> Result<String, ApiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad("malformed_json", format!("the body is not JSON: {e}")))?;
    v.get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ApiError::bad("missing_field", format!("'{name}' is required")))
}

pub async fn interaction_get(State(idp): State<Idp>, Path(id): Path<String>) -> Response {
    let r = flow::open(&idp, &id).map(|(ix, app)| flow::view(&ix, &app));
    respond(&idp, "experience.view", Some(&id), r)
}

pub async fn identifier_post(
    State(idp): State<Idp>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let r = field(&body, "identifier").and_then(|i| flow::submit_identifier(&idp, &id, &i));
    respond(&idp, "experience.identifier", Some(&id), r)
}

pub async fn otp_send_post(State(idp): State<Idp>, Path(id): Path<String>) -> Response {
    let r = flow::resend_otp(&idp, &id);
    respond(&idp, "experience.otp_send", Some(&id), r)
}

pub async fn otp_verify_post(
    State(idp): State<Idp>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let r = field(&body, "code").and_then(|c| flow::verify_otp(&idp, &id, &c));
    respond(&idp, "experience.otp_verify", Some(&id), r)
}

pub async fn options_post(State(idp): State<Idp>, Path(id): Path<String>) -> Response {
    let r = ceremony::options(&idp, &id);
    respond(&idp, "experience.webauthn_options", Some(&id), r)
}

pub async fn register_post(
    State(idp): State<Idp>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let r = ceremony::register_here(&idp, &id, &body);
    completed(&idp, "experience.webauthn_register", &id, r)
}

pub async fn authenticate_post(
    State(idp): State<Idp>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let r = ceremony::authenticate_here(&idp, &id, &body);
    completed(&idp, "experience.webauthn_authenticate", &id, r)
}

pub async fn qr_post(State(idp): State<Idp>, Path(id): Path<String>) -> Response {
    let r = qr::open_ticket(&idp, &id);
    respond(&idp, "qr.open", Some(&id), r)
}

/// `?seen=<status>` makes it a long poll (see [`qr::wait_poll`]).
#[derive(Debug, serde::Deserialize)]
pub struct PollQuery {
    seen: Option<String>,
}

pub async fn qr_get(
    State(idp): State<Idp>,
    Path((id, ticket)): Path<(String, String)>,
    Query(q): Query<PollQuery>,
) -> Response {
    match qr::wait_poll(&idp, &id, &ticket, q.seen.as_deref()).await {
        Ok((v, Some(session))) => with_session(axum::Json(v).into_response(), &session),
        Ok((v, None)) => axum::Json(v).into_response(),
        Err(e) => respond(&idp, "qr.poll", Some(&id), Err(e)),
    }
}

pub async fn qr_delete(
    State(idp): State<Idp>,
    Path((id, ticket)): Path<(String, String)>,
) -> Response {
    let r = qr::abort(&idp, &id, &ticket);
    respond(&idp, "qr.abort", Some(&id), r)
}

pub async fn qr_svg_get(State(idp): State<Idp>, Path(ticket): Path<String>) -> Response {
    match qr::svg(&idp, &ticket) {
        Ok(svg) => ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn attach_post(State(idp): State<Idp>, Path(ticket): Path<String>) -> Response {
    let r = qr::attach(&idp, &ticket);
    respond(&idp, "qr.attach", ticket_flow(&idp, &ticket).as_deref(), r)
}

pub async fn finish_post(
    State(idp): State<Idp>,
    Path(ticket): Path<String>,
    body: Bytes,
) -> Response {
    let r = qr::finish(&idp, &ticket, &body);
    respond(&idp, "qr.finish", ticket_flow(&idp, &ticket).as_deref(), r)
}

/// The interaction a ticket belongs to: the flow id of the phone's requests.
fn ticket_flow(idp: &Idp, ticket: &str) -> Option<String> {
    let t = idp.store.get::<Ticket>(POOL, ticket).ok().flatten();
    t.map(|t| t.interaction)
}

pub async fn login_page_get(State(idp): State<Idp>, Path(id): Path<String>) -> Response {
    match flow::open(&idp, &id) {
        Ok((ix, app)) => Html(pages::login(&flow::view(&ix, &app))).into_response(),
        Err(e) => {
            idp.record(
                EventKind::Rejected,
                "experience.page",
                Some(&id),
                json!({"error": e.name}),
            );
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                Html(pages::message_page("Sign-in unavailable", &e.message)),
            )
                .into_response()
        }
    }
}

pub async fn phone_page_get(Path(ticket): Path<String>) -> Response {
    Html(pages::phone(&ticket)).into_response()
}
