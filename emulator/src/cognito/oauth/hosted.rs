//! The browser-facing pages: `/oauth2/authorize` (dispatch to the login page, an IdP, or the
//! hosted session), `/login` (username/password and one button per IdP), `/logout`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::flow::{self, AuthorizeError, AuthorizeRequest};
use super::{
    Cognito, complete, error_page, error_redirect, escape, found, managed, page, rejected, session,
    step,
};
use crate::cognito::error::Exception;
use crate::cognito::model::{Client, IdentityProvider, ResourceServer};
use crate::cognito::signin::SignIn;

type Params = HashMap<String, String>;

/// The app client and the validated request, or the response that refuses it.
fn validated(
    cx: &Cognito,
    q: &Params,
    step_name: &str,
    flow: &str,
) -> Result<(Client, AuthorizeRequest), Box<Response>> {
    let client = q
        .get("client_id")
        .and_then(|id| cx.store.find::<Client>(id).ok().flatten())
        .map(|(_, c)| c);
    let pool_id = client
        .as_ref()
        .map(|c| c.pool_id.clone())
        .unwrap_or_default();
    let providers: Vec<IdentityProvider> = cx.store.list(Some(&pool_id)).unwrap_or_default();
    let scopes: Vec<String> = cx
        .store
        .list::<ResourceServer>(Some(&pool_id))
        .unwrap_or_default()
        .iter()
        .flat_map(|rs| {
            rs.scopes
                .iter()
                .filter_map(|s| s["ScopeName"].as_str())
                .map(|s| format!("{}/{s}", rs.identifier))
                .collect::<Vec<_>>()
        })
        .collect();
    match flow::validate(q, client.as_ref(), &providers, &scopes) {
        Ok(req) => match client {
            Some(c) => Ok((c, req)),
            None => Err(Box::new(error_page("invalid_request"))),
        },
        Err(AuthorizeError::Page(msg)) => {
            rejected(
                cx,
                step_name,
                Some(flow),
                json!({"error": msg, "params": q}),
            );
            Err(Box::new(error_page(&msg)))
        }
        Err(AuthorizeError::Redirect {
            redirect_uri,
            state,
            error,
            description,
        }) => {
            rejected(
                cx,
                step_name,
                Some(flow),
                json!({"error": error, "error_description": description, "params": q}),
            );
            Err(Box::new(error_redirect(
                &redirect_uri,
                state.as_deref(),
                error,
                &description,
            )))
        }
    }
}

pub async fn authorize_get(
    State(cx): State<Cognito>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Response {
    let flow = cx.entropy.uuid();
    let (client, req) = match validated(&cx, &q, "oauth2.authorize", &flow) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    step(
        &cx,
        "oauth2.authorize",
        &flow,
        json!({"client_id": client.client_id, "identity_provider": req.identity_provider, "scope": req.scope(), "pkce": req.code_challenge.is_some()}),
    );
    match req.identity_provider.as_deref() {
        Some(name) if name != "COGNITO" => {
            crate::cognito::federation::start(&cx, &client, &req, name, &flow)
        }
        _ => {
            // Single sign-on: a live hosted session of this pool answers at once.
            if let Some(s) = session(&cx, &headers, &client.pool_id)
                && let Ok(Some(u)) = cx.store.user_by_sub(&client.pool_id, &s.user_sub)
                && u.enabled
            {
                step(&cx, "hosted.sso", &flow, json!({"username": u.username}));
                return complete(&cx, &client, &req, &u, s.auth_time, &flow).await;
            }
            found(&format!("/login?{}", req.to_query()))
        }
    }
}

/// The login form's anti-forgery token: a cookie and a hidden field that must match, as
/// Cognito's hosted UI does with `XSRF-TOKEN` and `_csrf`.
const CSRF_COOKIE: &str = "XSRF-TOKEN";

fn login_page(
    cx: &Cognito,
    client: &Client,
    req: &AuthorizeRequest,
    error: Option<&str>,
    csrf: &str,
) -> Response {
    let query = req.to_query();
    let mut body = format!(
        "<p class=\"app\">to continue to {}</p>",
        escape(&client.name)
    );
    if let Some(e) = error {
        body.push_str(&format!(
            "<p id=\"loginErrorMessage\" role=\"alert\">{}</p>",
            escape(e)
        ));
    }
    let supported = client.list("SupportedIdentityProviders");
    if supported.iter().any(|p| p == "COGNITO") {
        // Passwordless first factors the pool allows: buttons beside "Sign in" that post the
        // username with the factor (the password is then not used).
        let buttons: String = managed::passwordless_factors(cx, client)
            .into_iter()
            .map(|f| {
                let label = match f {
                    "WEB_AUTHN" => "Sign in with a passkey",
                    "EMAIL_OTP" => "Email me a sign-in code",
                    _ => "Text me a sign-in code",
                };
                format!("<button type=\"submit\" name=\"factor\" value=\"{f}\">{label}</button>")
            })
            .collect();
        body.push_str(&format!(
            "<form method=\"post\" action=\"/login?{}\"><input type=\"hidden\" name=\"_csrf\" value=\"{}\"><label>Username <input name=\"username\" autocomplete=\"username webauthn\"></label><label>Password <input name=\"password\" type=\"password\"></label><button type=\"submit\" name=\"signInSubmitButton\">Sign in</button>{buttons}</form>",
            escape(&query),
            escape(csrf)
        ));
    }
    for p in supported.iter().filter(|p| *p != "COGNITO") {
        let href = format!(
            "/oauth2/authorize?{query}&identity_provider={}",
            url::form_urlencoded::byte_serialize(p.as_bytes()).collect::<String>()
        );
        body.push_str(&format!(
            "<a class=\"idp-button\" href=\"{}\">Continue with {}</a>",
            escape(&href),
            escape(p)
        ));
    }
    let mut r = page(StatusCode::OK, "Sign in", &body);
    let cookie = format!("{CSRF_COOKIE}={csrf}; Path=/; HttpOnly; SameSite=Lax");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

pub async fn login_get(State(cx): State<Cognito>, Query(q): Query<Params>) -> Response {
    let flow = cx.entropy.uuid();
    match validated(&cx, &q, "hosted.login", &flow) {
        Ok((client, req)) => login_page(&cx, &client, &req, None, &cx.entropy.uuid()),
        Err(r) => *r,
    }
}

/// The app client, the request and the CSRF token of a posted hosted-UI form, or `None`
/// (recorded) when the token is missing or does not match its cookie.
pub fn checked_form(
    cx: &Cognito,
    headers: &HeaderMap,
    q: &Params,
    form: &Params,
    step_name: &str,
) -> Option<(Client, AuthorizeRequest, String, String)> {
    // A page of a sign-in carries its flow id: the whole sign-in is one flow in the journal.
    let flow = form
        .get("flow")
        .filter(|f| !f.is_empty() && f.len() <= 64)
        .cloned()
        .unwrap_or_else(|| cx.entropy.uuid());
    let (client, req) = validated(cx, q, step_name, &flow).ok()?;
    let csrf = super::cookie(headers, CSRF_COOKIE).unwrap_or_default();
    if csrf.is_empty() || form.get("_csrf") != Some(&csrf) {
        rejected(
            cx,
            step_name,
            Some(&flow),
            json!({"reason": "missing or mismatched CSRF token"}),
        );
        return None;
    }
    Some((client, req, csrf, flow))
}

pub async fn login_post(
    State(cx): State<Cognito>,
    headers: HeaderMap,
    Query(q): Query<Params>,
    body: Bytes,
) -> Response {
    let flow = cx.entropy.uuid();
    let form: Params = url::form_urlencoded::parse(&body).into_owned().collect();
    let (client, req) = match validated(&cx, &q, "hosted.login", &flow) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if !client
        .list("SupportedIdentityProviders")
        .iter()
        .any(|p| p == "COGNITO")
    {
        let why = "The user pool directory (COGNITO) is not enabled for this client";
        rejected(&cx, "hosted.login", Some(&flow), json!({"reason": why}));
        return error_page(why);
    }
    let csrf = super::cookie(&headers, CSRF_COOKIE).unwrap_or_default();
    if csrf.is_empty() || form.get("_csrf") != Some(&csrf) {
        rejected(
            &cx,
            "hosted.login",
            Some(&flow),
            json!({"reason": "missing or mismatched CSRF token"}),
        );
        return error_page("Invalid or missing CSRF token: reload the login page and try again.");
    }
    let username = form.get("username").map(String::as_str).unwrap_or("");
    let pw = form.get("password").map(String::as_str).unwrap_or("");
    let refuse = |why: &str| {
        rejected(
            &cx,
            "hosted.login",
            Some(&flow),
            json!({"username": username, "reason": why}),
        );
        login_page(&cx, &client, &req, Some(why), &csrf)
    };
    let Ok(si) = SignIn::new(&cx, client.clone(), &flow) else {
        return error_page("The user pool no longer exists");
    };
    // The sign-in core decides, as for InitiateAuth; the page never tells an unknown user
    // from a wrong password. A passwordless button names its factor.
    let factor = form.get("factor").filter(|f| !f.is_empty());
    let next = match factor {
        Some(f) => managed::passwordless(&cx, &si, username, f).await,
        None => match si.password(username, pw).await {
            Ok(u) => si.after_first_factor(u, "HOSTED_UI").await,
            Err(e) => Err(e),
        },
    };
    let next = match next {
        Ok(next) => next,
        Err(e) if e.exception == Exception::UserNotFound => {
            return refuse("Incorrect username or password.");
        }
        Err(e) => return refuse(&e.message),
    };
    match managed::next_page(&cx, &si, &req, next, &csrf, factor.is_none()).await {
        Ok(r) => r,
        Err(why) => refuse(&why),
    }
}

pub async fn logout_get(
    State(cx): State<Cognito>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Response {
    let flow = cx.entropy.uuid();
    let Some(client) = q
        .get("client_id")
        .and_then(|id| cx.store.find::<Client>(id).ok().flatten())
        .map(|(_, c)| c)
    else {
        rejected(
            &cx,
            "hosted.logout",
            Some(&flow),
            json!({"params": q, "error": "unknown client_id"}),
        );
        return error_page("Required String parameter 'client_id' is missing or names no client");
    };
    let target = if let Some(uri) = q.get("logout_uri") {
        if !client.list("LogoutURLs").contains(uri) {
            rejected(
                &cx,
                "hosted.logout",
                Some(&flow),
                json!({"params": q, "error": "logout_uri not registered"}),
            );
            return error_page(&format!(
                "{uri} is not a sign-out URL of client {}",
                client.client_id
            ));
        }
        uri.clone()
    } else if q.contains_key("redirect_uri") {
        match validated(&cx, &q, "hosted.logout", &flow) {
            Ok((_, req)) => format!("/login?{}", req.to_query()),
            Err(r) => return *r,
        }
    } else {
        let why = "Required parameter logout_uri (or redirect_uri and response_type) is missing";
        rejected(
            &cx,
            "hosted.logout",
            Some(&flow),
            json!({"params": q, "error": why}),
        );
        return error_page(why);
    };
    if let Some(id) = super::cookie(&headers, super::SESSION_COOKIE) {
        let _ = cx.store.delete::<flow::HostedSession>(&client.pool_id, &id);
    }
    step(
        &cx,
        "hosted.logout",
        &flow,
        json!({"client_id": client.client_id}),
    );
    let mut r = found(&target);
    let clear = format!(
        "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
        super::SESSION_COOKIE
    );
    if let Ok(v) = HeaderValue::from_str(&clear) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}
