//! `GET|POST /cis/oidc/auth`: validate the request (unknown client or unregistered
//! redirect_uri: an HTTP 400 page, never a redirect; anything else: redirected as `error`,
//! `error_description`, `state`), then continue a live session or start a hosted interaction.

use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::{Params, cookie, redirect_with};
use crate::idp::error::OAuthError;
use crate::idp::model::{AuthCode, AuthRequest, Grant, Interaction, POOL, Session, Step};
use crate::idp::{Idp, pages, sha256_b64};
use crate::journal::EventKind;

/// Session cookie name.
pub const SESSION_COOKIE: &str = "idp_session";
/// How long a hosted interaction may take.
pub const INTERACTION_TTL_MS: i64 = 30 * 60 * 1000;
/// How long an IdP browser session lasts.
pub const SESSION_TTL_MS: i64 = 24 * 3600 * 1000;

pub use super::request::{AuthorizeError, validate};

/// What to do with a valid request.
#[derive(Debug, PartialEq)]
pub enum Next {
    /// Show the hosted experience for this interaction.
    Interaction(String),
    /// A live session satisfies the request: redirect with a code (`flow` names the SSO).
    Redirect { to: String, flow: String },
}

/// Continue a live session (unless `prompt=login` or `max_age` demand a new login) or start an
/// interaction; `prompt=none` without a usable session is `login_required`.
pub fn begin(
    idp: &Idp,
    req: AuthRequest,
    session: Option<Session>,
) -> Result<Next, AuthorizeError> {
    let now = idp.now_ms();
    let forced = req.prompt.as_deref().is_some_and(|p| p.contains("login"));
    let usable = session.filter(|s| {
        s.tenant == req.tenant
            && s.expires_ms > now
            && req.max_age.is_none_or(|m| now / 1000 - s.auth_time <= m)
            && req
                .login_hint
                .as_deref()
                .is_none_or(|h| hint_matches(idp, &s.sub, h))
    });
    let fail = |error: OAuthError| AuthorizeError::Redirect {
        redirect_uri: req.redirect_uri.clone(),
        state: req.state.clone(),
        error,
    };
    match usable {
        Some(s) if !forced => {
            let flow = idp.random_id();
            let grant = new_grant(idp, &req, &s.sub, s.auth_time, s.amr.clone(), false, &flow);
            idp.record(
                EventKind::FlowStep,
                "oidc.sso",
                Some(&flow),
                json!({"sub": s.sub}),
            );
            issue_code(idp, &req, grant)
                .map(|to| Next::Redirect { to, flow })
                .map_err(fail)
        }
        _ if req.prompt.as_deref() == Some("none") => Err(fail(OAuthError::login_required(
            "end-user authentication is required",
        ))),
        _ => {
            let interaction = Interaction {
                id: idp.random_id(),
                identifier: req.login_hint.clone(),
                request: req.clone(),
                step: Step::Identifier,
                created_ms: now,
                expires_ms: now + INTERACTION_TTL_MS,
                sub: None,
                new_user: false,
                otp: None,
                amr: Vec::new(),
                registration: None,
                authentication: None,
            };
            idp.store
                .put(POOL, &interaction.id, &interaction)
                .map_err(|e| fail(e.into()))?;
            Ok(Next::Interaction(interaction.id))
        }
    }
}

/// Whether `login_hint` names the session's user (else the session is not used).
fn hint_matches(idp: &Idp, sub: &str, hint: &str) -> bool {
    let hint = hint.trim();
    match idp.store.idp_user(sub) {
        Ok(Some(u)) => {
            u.email.is_some_and(|e| e.eq_ignore_ascii_case(hint))
                || u.phone.as_deref() == Some(hint)
        }
        _ => false,
    }
}

pub fn new_grant(
    idp: &Idp,
    req: &AuthRequest,
    sub: &str,
    auth_time: i64,
    amr: Vec<String>,
    new_user: bool,
    flow: &str,
) -> Grant {
    Grant {
        id: idp.random_id(),
        tenant: req.tenant.clone(),
        client_id: req.client_id.clone(),
        sub: sub.to_owned(),
        scope: req.scope.clone(),
        nonce: req.nonce.clone(),
        auth_time,
        amr,
        new_user,
        flow: flow.to_owned(),
    }
}

/// Stores a single-use code for `grant` and returns the redirect carrying it.
pub fn issue_code(idp: &Idp, req: &AuthRequest, grant: Grant) -> Result<String, OAuthError> {
    use base64::Engine;
    let code = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(idp.entropy.bytes::<32>());
    let ttl = idp
        .app(&req.client_id)
        .map_or(60, |a| a.config.code_ttl_secs);
    let flow = grant.flow.clone();
    let record = AuthCode {
        grant,
        redirect_uri: req.redirect_uri.clone(),
        code_challenge: req.code_challenge.clone(),
        expires_ms: idp.now_ms() + ttl * 1000,
    };
    idp.store.put(POOL, &sha256_b64(code.as_bytes()), &record)?;
    idp.record(
        EventKind::FlowStep,
        "oidc.code_issued",
        Some(&flow),
        json!({"client_id": req.client_id, "sub": record.grant.sub, "amr": record.grant.amr}),
    );
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = &req.state {
        pairs.push(("state", s));
    }
    Ok(redirect_with(&req.redirect_uri, &pairs))
}

/// Starts a session after a hosted login; returns its id (the cookie value).
pub fn start_session(idp: &Idp, grant: &Grant) -> Result<String, OAuthError> {
    let id = idp.random_id();
    let session = Session {
        tenant: grant.tenant.clone(),
        sub: grant.sub.clone(),
        auth_time: grant.auth_time,
        amr: grant.amr.clone(),
        expires_ms: idp.now_ms() + SESSION_TTL_MS,
    };
    idp.store.put(POOL, &id, &session)?;
    Ok(id)
}

pub fn session_cookie(id: &str) -> String {
    format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax")
}

pub async fn auth_get(
    State(idp): State<Idp>,
    headers: HeaderMap,
    q: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let pairs = q.map(|Query(p)| p).map_err(|e| e.body_text());
    authorize(&idp, &headers, pairs)
}

pub async fn auth_post(
    State(idp): State<Idp>,
    headers: HeaderMap,
    f: Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let pairs = f.map(|Form(p)| p).map_err(|e| e.body_text());
    authorize(&idp, &headers, pairs)
}

fn authorize(
    idp: &Idp,
    headers: &HeaderMap,
    pairs: Result<Vec<(String, String)>, String>,
) -> Response {
    let params = pairs
        .map_err(OAuthError::invalid_request)
        .and_then(Params::parse);
    let request = params.as_ref().map(Params::redacted).unwrap_or_default();
    let result = params.map_err(AuthorizeError::Page).and_then(|p| {
        let req = validate(idp, &p)?;
        let session = cookie(headers, SESSION_COOKIE)
            .and_then(|sid| idp.store.get::<Session>(POOL, &sid).ok().flatten());
        begin(idp, req, session)
    });
    let (flow, error) = match &result {
        Ok(Next::Interaction(id)) => (Some(id.clone()), None),
        Ok(Next::Redirect { flow, .. }) => (Some(flow.clone()), None),
        Err(AuthorizeError::Page(e)) | Err(AuthorizeError::Redirect { error: e, .. }) => {
            (None, Some(e))
        }
    };
    match error {
        None => idp.record(
            EventKind::FlowStep,
            "oidc.authorize",
            flow.as_deref(),
            request,
        ),
        Some(e) => idp.record(
            EventKind::Rejected,
            "oidc.authorize",
            None,
            json!({"error": e.error, "error_description": e.description, "request": request}),
        ),
    }
    match result {
        Ok(Next::Interaction(id)) => Redirect::to(&format!("/cis/login/{id}")).into_response(),
        Ok(Next::Redirect { to, .. }) => Redirect::to(&to).into_response(),
        Err(AuthorizeError::Page(e)) => pages::error_page(&e).into_response(),
        Err(AuthorizeError::Redirect {
            redirect_uri,
            state,
            error,
        }) => {
            let mut pairs = vec![
                ("error", error.error),
                ("error_description", error.description.as_str()),
            ];
            if let Some(s) = &state {
                pairs.push(("state", s));
            }
            Redirect::to(&redirect_with(&redirect_uri, &pairs)).into_response()
        }
    }
}
