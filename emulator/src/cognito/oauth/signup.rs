//! Signing up in the hosted UI: `/signup` asks for the fields the pool needs and runs the
//! SignUp operation (password policy, PreSignUp, the code to the outbox); `/confirmUser`
//! runs ConfirmSignUp (or ResendConfirmationCode), then signs the new user in through the
//! sign-in core and sends them to the app with an authorization code.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::flow::SESSION_MILLIS;
use super::forms::{self, Field, Form, Message, Params};
use super::{Cognito, error_page, found, hosted, managed, rejected, step};
use crate::cognito::api::Operation;
use crate::cognito::attributes;
use crate::cognito::error::{CognitoError, Result};
use crate::cognito::model::Pool;
use crate::cognito::signin::{Next, SignIn};
use crate::cognito::user;
use crate::store::{Entity, UserRow};

const SIGN_UP: &str = "hosted.signup";
const CONFIRM: &str = "hosted.confirm_user";

/// How long confirming signs in the browser that signed up: the hosted session's hour.
/// Confirmed later (or from another page), the user is sent to the login page instead.
const TICKET_MILLIS: i64 = SESSION_MILLIS;

/// A sign-up waiting for its code, keyed by a random id in the confirm page's form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignUpTicket {
    pub user_sub: String,
    pub expires: i64,
}

impl Entity for SignUpTicket {
    const KIND: &'static str = "hosted_signup";
}

/// The attributes the form asks for beside the username, `(name, required)`: email and
/// phone number when the pool verifies, requires or accepts them as aliases, then the other
/// attributes the pool's schema requires.
fn attribute_names(pool: &Pool) -> Vec<(&'static str, bool)> {
    let required = attributes::required(pool);
    let username = pool.username_attributes();
    let verified = pool.auto_verified_attributes();
    let aliases = pool.alias_attributes();
    let is = |list: &[String], a: &str| list.iter().any(|x| x == a);
    let mut out: Vec<(&'static str, bool)> = ["email", "phone_number"]
        .into_iter()
        .filter(|a| !is(&username, a))
        .filter_map(|a| {
            let needed = required.contains(&a) || is(&verified, a);
            (needed || is(&aliases, a)).then_some((a, needed))
        })
        .collect();
    for a in required {
        let asked = out.iter().any(|(n, _)| *n == a) || is(&username, a);
        if !asked && attributes::writable(a) && !a.ends_with("_verified") {
            out.push((a, true));
        }
    }
    out
}

/// A labelled field for a standard attribute.
fn attribute_field<'a>(name: &'a str, required: bool, value: &'a str) -> Field<'a> {
    let words = name.replace('_', " ");
    let mut chars = words.chars();
    let label: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    let (label, kind, autocomplete) = match name {
        "email" => ("Email address".to_owned(), "email", Some("email")),
        "phone_number" => (label, "tel", Some("tel")),
        "birthdate" => ("Date of birth".to_owned(), "date", Some("bday")),
        "website" | "profile" | "picture" => (label, "url", Some("url")),
        "name" => (label, "text", Some("name")),
        "given_name" => (label, "text", Some("given-name")),
        "family_name" => (label, "text", Some("family-name")),
        "middle_name" => (label, "text", Some("additional-name")),
        "nickname" => (label, "text", Some("nickname")),
        "address" => (label, "text", Some("street-address")),
        "locale" => (label, "text", Some("language")),
        "gender" => (label, "text", Some("sex")),
        _ => (label, "text", None),
    };
    Field {
        autocomplete,
        required,
        value,
        hint: (name == "phone_number").then(|| forms::PHONE_HINT.to_owned()),
        ..Field::new(name, &label, kind)
    }
}

/// The sign-up form's fields, in order: username, attributes, password.
fn signup_fields<'a>(pool: &Pool, f: &'a Form) -> Vec<Field<'a>> {
    let mut fields = vec![forms::username_field(pool, f.value("username"))];
    for (name, required) in attribute_names(pool) {
        fields.push(attribute_field(name, required, f.value(name)));
    }
    fields.push(Field {
        autocomplete: Some("new-password"),
        hint: Some(forms::password_rules(&pool.password_policy())),
        ..Field::new("password", "Password", "password")
    });
    fields
}

fn signup_page(f: &Form, pool: &Pool, message: Option<Message>) -> Response {
    let fields: String = signup_fields(pool, f).iter().map(Field::html).collect();
    let inner = format!(
        "<form method=\"post\" action=\"{}\">{}{fields}<button type=\"submit\" name=\"signUpButton\">Sign up</button></form><p class=\"alt\">Already have an account? <a href=\"{}\">Sign in</a></p>",
        f.link("/signup"),
        f.hidden(),
        f.link("/login")
    );
    f.page("Sign up", message, &inner)
}

fn confirm_page(f: &Form, pool: &Pool, ticket: &str, message: Option<Message>) -> Response {
    let code = Field {
        autocomplete: Some("one-time-code"),
        inputmode: Some("numeric"),
        value: f.value("code"),
        ..Field::new("code", "Verification code", "text")
    };
    let inner = format!(
        "<form method=\"post\" action=\"{}\">{}{}{}{}<button type=\"submit\" name=\"confirmButton\">Confirm account</button><button type=\"submit\" name=\"resend\" value=\"1\" class=\"secondary\" formnovalidate>Resend code</button></form>",
        f.link("/confirmUser"),
        f.hidden(),
        forms::hidden("ticket", ticket),
        forms::username_field(pool, f.value("username")).html(),
        code.html()
    );
    f.page("Confirm your account", message, &inner)
}

pub async fn signup_get(State(cx): State<Cognito>, Query(q): Query<Params>) -> Response {
    let page = Form::shown(&cx, &q, SIGN_UP)
        .and_then(|f| Ok(signup_page(&f, &f.pool(&cx, SIGN_UP, true)?, None)));
    page.unwrap_or_else(|r| *r)
}

pub async fn signup_post(
    State(cx): State<Cognito>,
    headers: HeaderMap,
    Query(q): Query<Params>,
    body: Bytes,
) -> Response {
    let (f, pool) = match Form::posted_to_pool(&cx, &headers, &q, &body, SIGN_UP, true) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let result = match f.missing(&signup_fields(&pool, &f)) {
        Some(why) => Err(CognitoError::invalid(why)),
        None => sign_up(&cx, &f, &pool).await,
    };
    result.unwrap_or_else(|e| {
        f.refused(&cx, SIGN_UP, &e, json!({}));
        signup_page(&f, &pool, Some(Message::Error(&e.message)))
    })
}

/// SignUp with the form's fields; then the confirm page, or (PreSignUp confirmed the user)
/// the sign-in.
async fn sign_up(cx: &Cognito, f: &Form, pool: &Pool) -> Result<Response> {
    let attrs: Vec<Value> = attribute_names(pool)
        .into_iter()
        .filter(|(n, _)| !f.value(n).trim().is_empty())
        .map(|(n, _)| json!({"Name": n, "Value": f.value(n).trim()}))
        .collect();
    let members = json!({"Password": f.value("password"), "UserAttributes": attrs});
    let out = Operation::SignUp.run(cx, f.input(members), &f.flow).await?;
    let delivery = out.get("CodeDeliveryDetails");
    step(
        cx,
        SIGN_UP,
        &f.flow,
        json!({"username": f.value("username"), "sub": out["UserSub"], "confirmed": out["UserConfirmed"], "delivery": delivery}),
    );
    if out["UserConfirmed"] == true {
        let u = user::get(cx, pool, f.value("username").trim())?;
        return Ok(sign_in(cx, f, u).await);
    }
    let Some(delivery) = delivery else {
        // No attribute to verify: only an administrator can confirm this user.
        let body = format!(
            "{}<p>Your account was created. An administrator must confirm it before you can sign in.</p><p class=\"alt\"><a href=\"{}\">Back to sign in</a></p>",
            f.app_line(),
            f.link("/login")
        );
        return Ok(f.respond("Account created", &body));
    };
    let ticket = cx.entropy.uuid();
    let t = SignUpTicket {
        user_sub: out["UserSub"].as_str().unwrap_or_default().to_owned(),
        expires: cx.clock.now_millis() + TICKET_MILLIS,
    };
    cx.store.put(&pool.id, &ticket, &t)?;
    let sent = forms::code_sent(delivery, "confirm your account");
    Ok(confirm_page(f, pool, &ticket, Some(Message::Notice(&sent))))
}

pub async fn confirm_get(State(cx): State<Cognito>, Query(q): Query<Params>) -> Response {
    let page = Form::shown(&cx, &q, CONFIRM)
        .and_then(|f| Ok(confirm_page(&f, &f.pool(&cx, CONFIRM, false)?, "", None)));
    page.unwrap_or_else(|r| *r)
}

pub async fn confirm_post(
    State(cx): State<Cognito>,
    headers: HeaderMap,
    Query(q): Query<Params>,
    body: Bytes,
) -> Response {
    let (f, pool) = match Form::posted_to_pool(&cx, &headers, &q, &body, CONFIRM, false) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let ticket = f.value("ticket");
    let resend = f.values.contains_key("resend");
    let result = if resend {
        resend_code(&cx, &f, &pool, ticket).await
    } else {
        confirm(&cx, &f, &pool, ticket).await
    };
    result.unwrap_or_else(|e| {
        f.refused(&cx, CONFIRM, &e, json!({"resend": resend}));
        confirm_page(&f, &pool, ticket, Some(Message::Error(&e.message)))
    })
}

async fn resend_code(cx: &Cognito, f: &Form, pool: &Pool, ticket: &str) -> Result<Response> {
    if let Some(why) = f.missing(&[forms::username_field(pool, "")]) {
        return Err(CognitoError::invalid(why));
    }
    let out = Operation::ResendConfirmationCode
        .run(cx, f.input(json!({})), &f.flow)
        .await?;
    let delivery = &out["CodeDeliveryDetails"];
    step(
        cx,
        "hosted.code_resent",
        &f.flow,
        json!({"username": f.value("username"), "delivery": delivery}),
    );
    let sent = forms::code_sent(delivery, "confirm your account");
    Ok(confirm_page(f, pool, ticket, Some(Message::Notice(&sent))))
}

/// ConfirmSignUp; then the browser that signed up is signed in. The classic hosted UI sends
/// a user who confirms there on to the app's callback with a code; neither the developer
/// guide nor the service model spells this out (uncertain: chosen as commonly observed). A
/// confirmation without this browser's sign-up (no ticket, or expired) lands on the login
/// page instead.
async fn confirm(cx: &Cognito, f: &Form, pool: &Pool, ticket: &str) -> Result<Response> {
    let code = Field::new("code", "Verification code", "text");
    if let Some(why) = f.missing(&[forms::username_field(pool, ""), code]) {
        return Err(CognitoError::invalid(why));
    }
    let members = json!({"ConfirmationCode": f.value("code").trim()});
    Operation::ConfirmSignUp
        .run(cx, f.input(members), &f.flow)
        .await?;
    step(
        cx,
        CONFIRM,
        &f.flow,
        json!({"username": f.value("username")}),
    );
    let ticket: Option<SignUpTicket> = cx.store.take(&pool.id, ticket)?;
    let u = user::find(cx, pool, f.value("username").trim())?;
    match (ticket, u) {
        (Some(t), Some(u)) if t.user_sub == u.sub && t.expires > cx.clock.now_millis() => {
            Ok(sign_in(cx, f, u).await)
        }
        _ => Ok(found(&format!(
            "/login?{}&notice=confirmed",
            f.req.to_query()
        ))),
    }
}

/// Sign a user who just proved their sign-up in through the sign-in core (PreAuthentication,
/// status, MFA, PostAuthentication), then the passkey offer or the app's callback.
async fn sign_in(cx: &Cognito, f: &Form, u: UserRow) -> Response {
    let si = match SignIn::new(cx, f.client.clone(), &f.flow) {
        Ok(si) => si,
        Err(e) => return error_page(&e.message),
    };
    let username = u.username.clone();
    let result = match first_steps(&si, u).await {
        Ok(next) => managed::next_page(cx, &si, &f.req, next, &f.csrf, true).await,
        Err(e) => Err(e.message),
    };
    result.unwrap_or_else(|why| {
        rejected(
            cx,
            "hosted.login",
            Some(&f.flow),
            json!({"username": username, "reason": why}),
        );
        hosted::login_page(cx, &f.client, &f.req, Some(Message::Error(&why)), &f.csrf)
    })
}

async fn first_steps(si: &SignIn<'_>, u: UserRow) -> Result<Next> {
    si.start(&u).await?;
    si.check_status(&u)?;
    si.after_first_factor(u, "HOSTED_UI").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn pool(settings: Value) -> Pool {
        Pool {
            id: "p".into(),
            name: "n".into(),
            created: 0,
            modified: 0,
            settings: settings.as_object().cloned().unwrap_or_else(Map::new),
            schema: Vec::new(),
            domain: None,
        }
    }

    fn check(settings: Value, expect: &[(&str, bool)]) {
        assert_eq!(attribute_names(&pool(settings)), expect);
    }

    #[test]
    fn the_form_asks_for_what_the_pool_needs() {
        check(
            json!({"UsernameAttributes": ["email"], "AutoVerifiedAttributes": ["email"]}),
            &[],
        );
        check(
            json!({"AutoVerifiedAttributes": ["email"]}),
            &[("email", true)],
        );
        check(
            json!({"AliasAttributes": ["phone_number"], "AutoVerifiedAttributes": ["email"]}),
            &[("email", true), ("phone_number", false)],
        );
        check(
            json!({"UsernameAttributes": ["email"], "Schema": [
                {"Name": "email", "Required": true}, {"Name": "given_name", "Required": true},
                {"Name": "sub", "Required": true}]}),
            &[("given_name", true)],
        );
    }

    #[test]
    fn attribute_labels_read_as_words() {
        assert_eq!(attribute_field("given_name", true, "").label, "Given name");
        assert_eq!(attribute_field("email", true, "").label, "Email address");
        assert_eq!(attribute_field("birthdate", false, "").kind, "date");
    }
}
