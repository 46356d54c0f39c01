//! The hosted pages' forms: the authorize request and CSRF token every page carries
//! ([`Form`]), labelled fields, messages, and the username field as the pool names it.

use std::collections::HashMap;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::flow::AuthorizeRequest;
use super::{Cognito, error_page, escape, page, rejected};
use crate::cognito::api::signup::secret_hash;
use crate::cognito::error::CognitoError;
use crate::cognito::model::{Client, PasswordPolicy, Pool};

pub type Params = HashMap<String, String>;

/// The forms' anti-forgery token: a cookie and a hidden field that must match, as Cognito's
/// hosted UI does with `XSRF-TOKEN` and `_csrf`.
pub const CSRF_COOKIE: &str = "XSRF-TOKEN";

/// One page of a hosted flow: the app client, the authorize request it carries from page to
/// page, its CSRF token, its journal flow id, and the fields given (the query of a page
/// shown, the form of a page posted). Its `Debug` names the fields, never their values
/// (passwords, codes).
pub struct Form {
    pub client: Client,
    pub req: AuthorizeRequest,
    pub csrf: String,
    pub flow: String,
    pub values: Params,
}

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut fields: Vec<&String> = self.values.keys().collect();
        fields.sort();
        f.debug_struct("Form")
            .field("client", &self.client.client_id)
            .field("flow", &self.flow)
            .field("fields", &fields)
            .finish_non_exhaustive()
    }
}

/// Whether `s` has the shape of the flow ids the emulator issues (a UUID): a posted page may
/// carry only such an id, never text of the poster's choosing into the journal.
fn is_flow_id(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl Form {
    /// A page shown: the query validated as `/login`'s is; a new flow and CSRF token.
    pub fn shown(cx: &Cognito, q: &Params, step_name: &str) -> Result<Self, Box<Response>> {
        let flow = cx.entropy.uuid();
        let (client, req) = super::hosted::validated(cx, q, step_name, &flow)?;
        Ok(Self {
            client,
            req,
            csrf: cx.entropy.uuid(),
            flow,
            values: q.clone(),
        })
    }

    /// A form posted: the query validated, then the CSRF token checked against its cookie
    /// (each refusal recorded). A page of a flow carries its flow id, so the whole flow is
    /// one in the journal.
    pub fn posted(
        cx: &Cognito,
        headers: &HeaderMap,
        q: &Params,
        body: &[u8],
        step_name: &str,
    ) -> Result<Self, Box<Response>> {
        let values: Params = url::form_urlencoded::parse(body).into_owned().collect();
        let flow = values
            .get("flow")
            .filter(|f| is_flow_id(f))
            .cloned()
            .unwrap_or_else(|| cx.entropy.uuid());
        let (client, req) = super::hosted::validated(cx, q, step_name, &flow)?;
        let csrf = super::cookie(headers, CSRF_COOKIE).unwrap_or_default();
        if csrf.is_empty() || values.get("_csrf") != Some(&csrf) {
            rejected(
                cx,
                step_name,
                Some(&flow),
                json!({"reason": "missing or mismatched CSRF token"}),
            );
            return Err(Box::new(error_page(
                "Invalid or missing CSRF token: reload the page and try again.",
            )));
        }
        Ok(Self {
            client,
            req,
            csrf,
            flow,
            values,
        })
    }

    /// [`Form::posted`], then [`Form::pool`]: a self-service form and its pool, or the page
    /// refusing them.
    pub fn posted_to_pool(
        cx: &Cognito,
        headers: &HeaderMap,
        q: &Params,
        body: &[u8],
        step_name: &str,
        sign_up: bool,
    ) -> Result<(Self, Pool), Box<Response>> {
        let f = Self::posted(cx, headers, q, body, step_name)?;
        let pool = f.pool(cx, step_name, sign_up)?;
        Ok((f, pool))
    }

    /// Journals the refusal of this form's step: the username typed, the error and why
    /// (never a password or a code), and `extra` members.
    pub fn refused(&self, cx: &Cognito, step_name: &str, e: &CognitoError, extra: Value) {
        let mut detail = json!({"username": self.value("username"), "error": e.exception.name(), "reason": e.message});
        if let (Some(d), Value::Object(more)) = (detail.as_object_mut(), extra) {
            d.extend(more);
        }
        rejected(cx, step_name, Some(&self.flow), detail);
    }

    /// A field's value as given, or "".
    pub fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// `path` with the authorize request's query, escaped for an attribute.
    pub fn link(&self, path: &str) -> String {
        escape(&format!("{path}?{}", self.req.to_query()))
    }

    /// The hidden fields every posted page carries.
    pub fn hidden(&self) -> String {
        [hidden("_csrf", &self.csrf), hidden("flow", &self.flow)].concat()
    }

    /// A page of the flow: the app's line, `message` if any, then `inner` (its form and
    /// links), with the CSRF cookie its form posts back.
    pub fn page(&self, title: &str, message: Option<Message>, inner: &str) -> Response {
        let mut body = self.app_line();
        if let Some(m) = message {
            body.push_str(&m.html());
        }
        body.push_str(inner);
        self.respond(title, &body)
    }

    /// The page, with the CSRF cookie its form posts back.
    pub fn respond(&self, title: &str, body: &str) -> Response {
        with_csrf_cookie(page(StatusCode::OK, title, body), &self.csrf)
    }

    /// The pool behind a self-service page, or the page refusing it: the client must sign
    /// users in with the pool's directory and, for `sign_up`, the pool must let users sign
    /// themselves up (not `AllowAdminCreateUserOnly`).
    pub fn pool(
        &self,
        cx: &Cognito,
        step_name: &str,
        sign_up: bool,
    ) -> Result<Pool, Box<Response>> {
        let refuse = |why: &str| {
            rejected(cx, step_name, Some(&self.flow), json!({"reason": why}));
            Box::new(error_page(why))
        };
        if !directory_enabled(&self.client) {
            return Err(refuse(
                "The user pool directory (COGNITO) is not enabled for this client",
            ));
        }
        let pool =
            crate::cognito::api::pool(cx, &self.client.pool_id).map_err(|e| refuse(&e.message))?;
        if sign_up && pool.admin_create_user_only() {
            return Err(refuse(
                "Sign-up is not available: only administrators create users in this user pool.",
            ));
        }
        Ok(pool)
    }

    /// An operation's input from the page: the app client, the username, `members`, and
    /// `SECRET_HASH` for a client with a secret (the hosted UI holds the app's secret, as
    /// Cognito's does).
    pub fn input(&self, members: Value) -> Value {
        let username = self.value("username").trim();
        let mut input = json!({"ClientId": self.client.client_id, "Username": username});
        if let (Some(o), Some(m)) = (input.as_object_mut(), members.as_object()) {
            o.extend(m.clone());
            if let Some(h) = secret_hash(&self.client, username) {
                o.insert("SecretHash".into(), h.into());
            }
        }
        input
    }

    /// "Enter your ..." for the first required field left empty, if any.
    pub fn missing(&self, fields: &[Field]) -> Option<String> {
        fields
            .iter()
            .find(|f| f.required && self.value(f.name).trim().is_empty())
            .map(|f| format!("Enter your {}.", f.label.to_lowercase()))
    }

    /// The line under the title naming the app the user continues to.
    pub fn app_line(&self) -> String {
        format!(
            "<p class=\"app\">to continue to {}</p>",
            escape(&self.client.name)
        )
    }
}

pub fn with_csrf_cookie(mut r: Response, csrf: &str) -> Response {
    let cookie = format!("{CSRF_COOKIE}={csrf}; Path=/; HttpOnly; SameSite=Lax");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

pub fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
        escape(value)
    )
}

/// What a page tells the user above its form.
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    /// Why the last step was refused (announced at once).
    Error(&'a str),
    /// What the last step did.
    Notice(&'a str),
}

impl Message<'_> {
    /// An error keeps the login page's id on every page: the harness reads it there.
    pub fn html(self) -> String {
        match self {
            Message::Error(m) => format!(
                "<p id=\"loginErrorMessage\" role=\"alert\">{}</p>",
                escape(m)
            ),
            Message::Notice(m) => format!(
                "<p id=\"notice\" class=\"notice\" role=\"status\">{}</p>",
                escape(m)
            ),
        }
    }
}

/// The login page's notice named by its `notice` parameter (a fixed text: nothing echoed).
pub fn notice(key: &str) -> Option<&'static str> {
    Some(match key {
        "password_reset" => "Your password has been reset. Sign in with your new password.",
        "confirmed" => "Your account is confirmed. Sign in to continue.",
        _ => return None,
    })
}

/// A labelled input (`<label for>`), with an optional hint the input is described by.
#[derive(Debug, Clone)]
pub struct Field<'a> {
    pub name: &'a str,
    pub label: String,
    pub kind: &'static str,
    pub autocomplete: Option<&'static str>,
    pub inputmode: Option<&'static str>,
    pub required: bool,
    pub value: &'a str,
    pub hint: Option<String>,
}

impl<'a> Field<'a> {
    pub fn new(name: &'a str, label: &str, kind: &'static str) -> Self {
        Self {
            name,
            label: label.to_owned(),
            kind,
            autocomplete: None,
            inputmode: None,
            required: true,
            value: "",
            hint: None,
        }
    }

    pub fn html(&self) -> String {
        let id = escape(self.name);
        let mut attrs = format!("id=\"{id}\" name=\"{id}\" type=\"{}\"", self.kind);
        if let Some(a) = self.autocomplete {
            attrs.push_str(&format!(" autocomplete=\"{a}\""));
        }
        if let Some(m) = self.inputmode {
            attrs.push_str(&format!(" inputmode=\"{m}\""));
        }
        if self.required {
            attrs.push_str(" required");
        }
        if !self.value.is_empty() && self.kind != "password" {
            attrs.push_str(&format!(" value=\"{}\"", escape(self.value)));
        }
        let hint = match &self.hint {
            Some(h) => {
                attrs.push_str(&format!(" aria-describedby=\"{id}-hint\""));
                format!("<p class=\"hint\" id=\"{id}-hint\">{}</p>", escape(h))
            }
            None => String::new(),
        };
        format!(
            "<div class=\"field\"><label for=\"{id}\">{}</label><input {attrs}>{hint}</div>",
            escape(&self.label)
        )
    }
}

pub const PHONE_HINT: &str = "With the country code, for example +15551234567.";

/// The field for what a user of `pool` signs in with: an email address or a phone number
/// when the pool's `UsernameAttributes` say so, else a username.
pub fn username_field<'a>(pool: &Pool, value: &'a str) -> Field<'a> {
    let attrs = pool.username_attributes();
    let has = |a: &str| attrs.iter().any(|x| x == a);
    let (label, kind, autocomplete, hint) = match (has("email"), has("phone_number")) {
        (true, true) => (
            "Email address or phone number",
            "text",
            "username",
            Some(PHONE_HINT),
        ),
        (true, false) => ("Email address", "email", "email", None),
        (false, true) => ("Phone number", "tel", "tel", Some(PHONE_HINT)),
        (false, false) => ("Username", "text", "username", None),
    };
    Field {
        autocomplete: Some(autocomplete),
        value,
        hint: hint.map(str::to_owned),
        ..Field::new("username", label, kind)
    }
}

/// The pool's password rules in one sentence, shown under a new password's field.
pub fn password_rules(p: &PasswordPolicy) -> String {
    let kinds: Vec<&str> = [
        (p.require_lowercase, "a lowercase letter"),
        (p.require_uppercase, "an uppercase letter"),
        (p.require_numbers, "a number"),
        (p.require_symbols, "a symbol"),
    ]
    .into_iter()
    .filter_map(|(on, what)| on.then_some(what))
    .collect();
    let base = format!("At least {} characters", p.minimum_length);
    match kinds.split_last() {
        None => format!("{base}."),
        Some((last, [])) => format!("{base}, with {last}."),
        Some((last, rest)) => format!("{base}, with {} and {last}.", rest.join(", ")),
    }
}

/// What a page says after a code was sent (`CodeDeliveryDetails`): where, and what for.
pub fn code_sent(delivery: &Value, what_for: &str) -> String {
    let how = match delivery["DeliveryMedium"].as_str() {
        Some("SMS") => "by text message",
        _ => "by email",
    };
    let to = delivery["Destination"].as_str().unwrap_or("you");
    format!("We sent a code {how} to {to}. Enter it below to {what_for}.")
}

/// Whether the app client lets users sign in with the pool's own directory (`COGNITO`).
pub fn directory_enabled(client: &Client) -> bool {
    client
        .list("SupportedIdentityProviders")
        .iter()
        .any(|p| p == "COGNITO")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_posted_flow_id_is_one_the_emulator_could_have_issued() {
        assert!(is_flow_id("8bce9ace-e087-4baa-a748-8ac146756ba6"));
        for not in [
            "",
            "flow-1",
            "8bce9ace-e087-4baa-a748-8ac146756ba6x",
            "zbce9ace-e087-4baa-a748-8ac146756ba6",
        ] {
            assert!(!is_flow_id(not), "{not}");
        }
    }

    fn check(p: PasswordPolicy, expect: &str) {
        assert_eq!(password_rules(&p), expect);
    }

    #[test]
    fn password_rules_name_every_rule() {
        let all = PasswordPolicy {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            temporary_validity_days: 7,
        };
        check(
            all.clone(),
            "At least 8 characters, with a lowercase letter, an uppercase letter, a number and a symbol.",
        );
        let one = PasswordPolicy {
            minimum_length: 12,
            require_uppercase: false,
            require_lowercase: false,
            require_symbols: false,
            ..all.clone()
        };
        check(one, "At least 12 characters, with a number.");
        let none = PasswordPolicy {
            require_numbers: false,
            require_uppercase: false,
            require_lowercase: false,
            require_symbols: false,
            ..all
        };
        check(none, "At least 8 characters.");
    }
}
