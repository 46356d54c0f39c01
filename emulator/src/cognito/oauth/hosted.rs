//! The browser-facing pages: `/oauth2/authorize` (dispatch to the login page, an IdP, or the
//! hosted session), `/login` (username/password, links to `signup.rs` and `recovery.rs`, one
//! button per IdP), `/logout`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::flow::{self, AuthorizeError, AuthorizeRequest};
use super::forms::{self, Message};
use super::{
    Cognito, complete, error_page, error_redirect, escape, found, managed, page, rejected, session,
    step,
};
use crate::cognito::error::Exception;
use crate::cognito::model::{Client, IdentityProvider, ResourceServer};
use crate::cognito::signin::SignIn;

type Params = HashMap<String, String>;

/// The app client and the validated request, or the response that refuses it.
pub(super) fn validated(
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

/// The login page: the pool's own form (with "Forgot your password?" and, when users may
/// sign themselves up, "Sign up"), then one button per identity provider.
pub(super) fn login_page(
    cx: &Cognito,
    client: &Client,
    req: &AuthorizeRequest,
    message: Option<Message>,
    csrf: &str,
) -> Response {
    let query = req.to_query();
    let mut body = format!(
        "<p class=\"app\">to continue to {}</p>",
        escape(&client.name)
    );
    if let Some(m) = message {
        body.push_str(&m.html());
    }
    if forms::directory_enabled(client) {
        body.push_str(&directory_form(cx, client, &query, csrf));
    }
    for p in client
        .list("SupportedIdentityProviders")
        .iter()
        .filter(|p| *p != "COGNITO")
    {
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
    forms::with_csrf_cookie(page(StatusCode::OK, "Sign in", &body), csrf)
}

/// The username/password form, the passwordless buttons the pool allows (they post the
/// username with the factor; the password is then not used) and the self-service links.
fn directory_form(cx: &Cognito, client: &Client, query: &str, csrf: &str) -> String {
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
    let query = escape(query);
    let pool = crate::cognito::api::pool(cx, &client.pool_id).ok();
    // Named as the pool identifies its users (an email address, say); the browser may offer
    // passkeys from it (`webauthn`). The password is optional: a passwordless button does
    // without it.
    let username = match &pool {
        Some(p) => forms::username_field(p, ""),
        None => forms::Field::new("username", "Username", "text"),
    };
    let username = forms::Field {
        autocomplete: Some("username webauthn"),
        ..username
    };
    let password = forms::Field {
        autocomplete: Some("current-password"),
        required: false,
        ..forms::Field::new("password", "Password", "password")
    };
    let mut html = format!(
        "<form method=\"post\" action=\"/login?{query}\"><input type=\"hidden\" name=\"_csrf\" value=\"{}\">{}{}<button type=\"submit\" name=\"signInSubmitButton\">Sign in</button>{buttons}</form><p class=\"alt\"><a href=\"/forgotPassword?{query}\">Forgot your password?</a></p>",
        escape(csrf),
        username.html(),
        password.html()
    );
    let self_sign_up = pool.is_some_and(|p| !p.admin_create_user_only());
    if self_sign_up {
        html.push_str(&format!(
            "<p class=\"alt\">Need an account? <a href=\"/signup?{query}\">Sign up</a></p>"
        ));
    }
    html
}

pub async fn login_get(State(cx): State<Cognito>, Query(q): Query<Params>) -> Response {
    let flow = cx.entropy.uuid();
    let notice = q
        .get("notice")
        .and_then(|k| forms::notice(k))
        .map(Message::Notice);
    match validated(&cx, &q, "hosted.login", &flow) {
        Ok((client, req)) => login_page(&cx, &client, &req, notice, &cx.entropy.uuid()),
        Err(r) => *r,
    }
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
    if !forms::directory_enabled(&client) {
        let why = "The user pool directory (COGNITO) is not enabled for this client";
        rejected(&cx, "hosted.login", Some(&flow), json!({"reason": why}));
        return error_page(why);
    }
    let csrf = super::cookie(&headers, forms::CSRF_COOKIE).unwrap_or_default();
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
        login_page(&cx, &client, &req, Some(Message::Error(why)), &csrf)
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
