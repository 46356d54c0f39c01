//! `GET|POST /cis/oidc/auth`: validate the request (unknown client or unregistered
//! redirect_uri: an HTTP 400 page, never a redirect; anything else: redirected as `error`,
//! `error_description`, `state`), then continue a live session or start a hosted interaction.

use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::{Params, cookie, redirect_with};
use crate::idp::config::PkceMode;
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

/// Why an authorization request failed, and how the user is told.
#[derive(Debug, PartialEq)]
pub enum AuthorizeError {
    /// Shown as an HTTP 400 page: the redirect target cannot be trusted.
    Page(OAuthError),
    /// Sent back to the client's redirect_uri.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: OAuthError,
    },
}

const PROMPTS: &[&str] = &["none", "login", "consent", "select_account"];

/// Checks an authorization request against the app's registration (pure: no state is read
/// but the configuration).
pub fn validate(idp: &Idp, p: &Params) -> Result<AuthRequest, AuthorizeError> {
    let page = AuthorizeError::Page;
    let client_id = p.require("client_id").map_err(page)?;
    let app = idp.app(client_id).ok_or_else(|| {
        page(OAuthError {
            status: 400,
            ..OAuthError::invalid_client(format!("client_id '{client_id}' is not a registered app"))
        })
    })?;
    let redirect_uri = p.require("redirect_uri").map_err(page)?;
    if !app.config.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Err(page(OAuthError::invalid_redirect_uri(
            "redirect_uri did not match any of the client's registered redirect_uris",
        )));
    }
    let state = p.get("state").map(str::to_owned);
    let fail = |error: OAuthError| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state.clone(),
        error,
    };
    let response_type = p.require("response_type").map_err(fail)?;
    if response_type != "code" {
        return Err(fail(OAuthError::unsupported_response_type(format!(
            "response_type '{response_type}' is not supported; only 'code'"
        ))));
    }
    let scope: Vec<String> = p
        .get("scope")
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if !scope.iter().any(|s| s == "openid") {
        return Err(fail(OAuthError::invalid_scope(
            "openid scope must be requested",
        )));
    }
    if let Some(bad) = scope.iter().find(|s| !app.config.scopes.contains(s)) {
        return Err(fail(OAuthError::invalid_scope(format!(
            "scope '{bad}' is not allowed for this app"
        ))));
    }
    let code_challenge = p.get("code_challenge").map(str::to_owned);
    match (code_challenge.as_deref(), p.get("code_challenge_method")) {
        (None, Some(_)) => {
            return Err(fail(OAuthError::invalid_request(
                "code_challenge_method given without code_challenge",
            )));
        }
        (Some(_), m) if m != Some("S256") => {
            return Err(fail(OAuthError::invalid_request(
                "code_challenge_method must be S256",
            )));
        }
        (Some(c), _) if !(43..=128).contains(&c.len()) => {
            return Err(fail(OAuthError::invalid_request(
                "code_challenge must be 43 to 128 characters",
            )));
        }
        (None, None) if app.config.pkce != PkceMode::Allowed => {
            return Err(fail(OAuthError::invalid_request(
                "PKCE is required for this app: send code_challenge with code_challenge_method=S256",
            )));
        }
        _ => {}
    }
    let prompt = p.get("prompt").map(str::to_owned);
    if let Some(pr) = &prompt {
        let values: Vec<&str> = pr.split(' ').collect();
        if let Some(bad) = values.iter().find(|v| !PROMPTS.contains(v)) {
            return Err(fail(OAuthError::invalid_request(format!(
                "unsupported prompt value '{bad}'"
            ))));
        }
        if values.contains(&"none") && values.len() > 1 {
            return Err(fail(OAuthError::invalid_request(
                "prompt 'none' cannot be combined with other values",
            )));
        }
    }
    let max_age = match p.get("max_age") {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            fail(OAuthError::invalid_request(
                "max_age must be a non-negative integer",
            ))
        })?),
    };
    Ok(AuthRequest {
        client_id: client_id.to_owned(),
        tenant: app.tenant.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scope,
        state,
        nonce: p.get("nonce").map(str::to_owned),
        code_challenge,
        login_hint: p.get("login_hint").map(str::to_owned),
        prompt,
        max_age,
        acr_values: p.get("acr_values").map(str::to_owned),
    })
}

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
