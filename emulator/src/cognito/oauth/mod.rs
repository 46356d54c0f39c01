//! The hosted UI and OAuth 2.0 endpoints on the pool's origin: `/oauth2/authorize`, `/login`,
//! `/signup`, `/confirmUser`, `/forgotPassword`, `/confirmForgotPassword`, `/logout`,
//! `/oauth2/idpresponse` (federation), `/oauth2/token`, `/oauth2/userInfo`, `/oauth2/revoke`.
//! Handlers are thin: validation lives in `flow.rs`, federation in `cognito::federation`,
//! triggers in `cognito::triggers`, self-service in the API's own operations.

pub mod flow;
mod forms;
mod hosted;
mod managed;
mod passkey_offer;
mod recovery;
mod signup;
mod token;
mod userinfo;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::Cognito;
use super::model::Client;
use super::tokens::{self, Grant};
use super::triggers::{self, TriggerError};
use crate::journal::{EventKind, Service};
use crate::store::UserRow;
use flow::{AuthCode, AuthorizeRequest, CODE_MILLIS, HostedSession, SESSION_MILLIS};

/// The hosted session cookie's name.
pub const SESSION_COOKIE: &str = "cognito";

pub fn router(cx: Cognito) -> Router {
    // Endpoints apps call with `fetch` (after a hosted sign-in) answer CORS; the pages do not.
    let fetched = Router::new()
        .route("/oauth2/token", post(token::token_post))
        .route(
            "/oauth2/userInfo",
            get(userinfo::userinfo_get).post(userinfo::userinfo_get),
        )
        .route("/oauth2/revoke", post(userinfo::revoke_post))
        .layer(super::cors::oauth());
    Router::new()
        .route("/oauth2/authorize", get(hosted::authorize_get))
        .route("/login", get(hosted::login_get).post(hosted::login_post))
        .route("/login/challenge", post(managed::challenge_post))
        .route("/login/passkey", post(passkey_offer::passkey_post))
        .route("/signup", get(signup::signup_get).post(signup::signup_post))
        .route(
            "/confirmUser",
            get(signup::confirm_get).post(signup::confirm_post),
        )
        .route(
            "/forgotPassword",
            get(recovery::forgot_get).post(recovery::forgot_post),
        )
        .route(
            "/confirmForgotPassword",
            get(recovery::confirm_get).post(recovery::confirm_post),
        )
        .route("/logout", get(hosted::logout_get))
        .route(
            "/oauth2/idpresponse",
            get(super::federation::idpresponse_get).post(super::federation::idpresponse_post),
        )
        .merge(fetched)
        .with_state(cx)
}

/// Record one step of a hosted flow in the journal.
pub fn step(cx: &Cognito, name: &str, flow: &str, detail: Value) {
    cx.journal.record(
        Service::Cognito,
        EventKind::FlowStep,
        name,
        Some(flow),
        detail,
    );
}

/// Record a refused request of a hosted flow; secrets in it (a client secret or password
/// sent in a query, a code) are redacted, and the active injected faults named.
pub fn rejected(cx: &Cognito, name: &str, flow: Option<&str>, detail: Value) {
    let (mut detail, _) = crate::redact::value(detail);
    let faults = cx.faults.labels();
    if let (false, Some(m)) = (faults.is_empty(), detail.as_object_mut()) {
        m.insert("faults".into(), faults.into());
    }
    cx.journal
        .record(Service::Cognito, EventKind::Rejected, name, flow, detail);
}

pub fn found(location: &str) -> Response {
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// `base` with `pairs` appended to its query (or, for `fragment`, after `#`).
pub fn with_params(base: &str, pairs: &[(&str, &str)], fragment: bool) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    let q = s.finish();
    let sep = if fragment {
        '#'
    } else if base.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{base}{sep}{q}")
}

/// Cognito's error redirect to the app: `error_description` first, then `error`, then `state`.
pub fn error_redirect(
    redirect_uri: &str,
    state: Option<&str>,
    error: &str,
    description: &str,
) -> Response {
    let mut pairs = vec![("error_description", description), ("error", error)];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    found(&with_params(redirect_uri, &pairs, false))
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The hosted pages' look: a card like managed login's (its own, no copied assets).
const STYLE: &str = "body{margin:0;min-height:100vh;display:flex;align-items:flex-start;\
justify-content:center;background:#f2f3f3;font:16px/1.5 system-ui,sans-serif;color:#16191f}\
main{background:#fff;margin:3rem 1rem;padding:2rem;width:100%;max-width:24rem;border-radius:8px;\
box-shadow:0 1px 4px rgba(0,0,0,.15)}h1{font-size:1.5rem;margin:0 0 1rem}\
label{display:block;font-weight:600;margin:.8rem 0}.field{margin:.8rem 0}.field label{margin:0}\
label input,.field input{display:block;width:100%;box-sizing:border-box;margin-top:.3rem;\
padding:.5rem;font:inherit;border:1px solid #879596;border-radius:4px}\
.hint{color:#5f6b7a;font-size:.875rem;margin:.3rem 0 0}.alt{margin:1rem 0 0}a{color:#0972d3}\
.notice{color:#037f0c;font-weight:600}button,.idp-button{display:block;width:100%;box-sizing:border-box;margin:.6rem 0;\
padding:.6rem;font:inherit;font-weight:600;border-radius:4px;border:1px solid #0972d3;\
background:#0972d3;color:#fff;text-align:center;text-decoration:none;cursor:pointer}\
button[name=factor],button.secondary,.idp-button{background:#fff;color:#0972d3}\
:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}\
#loginErrorMessage,[role=alert]{color:#d91515;font-weight:600}.app{color:#5f6b7a;margin:-.5rem 0 1rem}";

/// An HTML page for the browser (the hosted UI's error page when the app cannot be trusted).
pub fn page(status: StatusCode, title: &str, body_html: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main><h1>{}</h1>{body_html}</main></body></html>",
        escape(title),
        escape(title)
    );
    let mut r = (status, html).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

pub fn error_page(message: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "An error was encountered with the requested page.",
        &format!("<p id=\"error\">{}</p>", escape(message)),
    )
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

/// The pool's live hosted session named by the request's cookie, if any.
pub fn session(cx: &Cognito, headers: &HeaderMap, pool_id: &str) -> Option<HostedSession> {
    let id = cookie(headers, SESSION_COOKIE)?;
    let s: HostedSession = cx.store.get(pool_id, &id).ok()??;
    (s.expires > cx.clock.now_millis()).then_some(s)
}

/// The user is signed in: start a hosted session, then answer the authorize request with a
/// code (or, for `response_type=token`, tokens in the fragment).
pub async fn complete(
    cx: &Cognito,
    client: &Client,
    req: &AuthorizeRequest,
    user: &UserRow,
    auth_time: i64,
    flow: &str,
) -> Response {
    let now = cx.clock.now_millis();
    let session_id = cx.entropy.uuid();
    let session = HostedSession {
        pool_id: client.pool_id.clone(),
        user_sub: user.sub.clone(),
        auth_time,
        expires: now + SESSION_MILLIS,
    };
    if let Err(e) = cx.store.put(&client.pool_id, &session_id, &session) {
        return error_redirect(
            &req.redirect_uri,
            req.state.as_deref(),
            "server_error",
            &e.to_string(),
        );
    }
    let set_cookie = format!("{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax");
    let location = if req.response_type == "token" {
        match implicit_tokens(cx, client, req, user, auth_time, flow).await {
            Ok(pairs) => {
                let mut refs: Vec<(&str, &str)> =
                    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                if let Some(s) = &req.state {
                    refs.push(("state", s));
                }
                with_params(&req.redirect_uri, &refs, true)
            }
            Err(r) => return r,
        }
    } else {
        let code = cx.entropy.uuid();
        let ac = AuthCode {
            pool_id: client.pool_id.clone(),
            request: req.clone(),
            user_sub: user.sub.clone(),
            auth_time,
            expires: now + CODE_MILLIS,
            flow: flow.to_owned(),
        };
        if let Err(e) = cx.store.put(&client.pool_id, &code, &ac) {
            return error_redirect(
                &req.redirect_uri,
                req.state.as_deref(),
                "server_error",
                &e.to_string(),
            );
        }
        let mut pairs = vec![("code", code.as_str())];
        if let Some(s) = &req.state {
            pairs.push(("state", s));
        }
        with_params(&req.redirect_uri, &pairs, false)
    };
    step(
        cx,
        "oauth2.code_issued",
        flow,
        json!({"username": user.username, "sub": user.sub, "client_id": client.client_id, "response_type": req.response_type}),
    );
    let mut r = found(&location);
    if let Ok(v) = HeaderValue::from_str(&set_cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn implicit_tokens(
    cx: &Cognito,
    client: &Client,
    req: &AuthorizeRequest,
    user: &UserRow,
    auth_time: i64,
    flow: &str,
) -> Result<Vec<(&'static str, String)>, Response> {
    let fail =
        |e: String| error_redirect(&req.redirect_uri, req.state.as_deref(), "server_error", &e);
    let pool = super::api::pool(cx, &client.pool_id).map_err(|e| fail(e.message))?;
    let overrides =
        triggers::pre_token(cx, &pool, client, user, "TokenGeneration_HostedAuth", flow)
            .await
            .map_err(|e: TriggerError| {
                error_redirect(
                    &req.redirect_uri,
                    req.state.as_deref(),
                    "invalid_request",
                    &e.redirect_message("PreTokenGeneration"),
                )
            })?;
    let grant = Grant {
        pool: &pool,
        client,
        user,
        auth_time,
        scope: req.scope(),
        nonce: req.nonce.clone(),
        origin_jti: None,
        with_refresh: false,
        overrides,
        device_key: None,
    };
    let t = tokens::issue(cx, &grant).map_err(|e| fail(e.message))?;
    Ok(vec![
        ("id_token", t.id_token),
        ("access_token", t.access_token),
        ("expires_in", t.expires_in.to_string()),
        ("token_type", "Bearer".into()),
    ])
}
