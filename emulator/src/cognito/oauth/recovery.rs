//! A forgotten password in the hosted UI: `/forgotPassword` runs the ForgotPassword
//! operation (a code to the user's verified email or phone); `/confirmForgotPassword` takes
//! the code and a new password (typed twice) to ConfirmForgotPassword, then sends the user
//! back to the login page, where the developer guide says `/confirmforgotPassword` leads.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use super::forms::{self, Field, Form, Message, Params};
use super::{Cognito, found, step};
use crate::cognito::api::Operation;
use crate::cognito::error::{CognitoError, Result};
use crate::cognito::model::Pool;

const FORGOT: &str = "hosted.forgot_password";
const RESET: &str = "hosted.password_reset";

fn forgot_page(f: &Form, pool: &Pool, message: Option<Message>) -> Response {
    let username = forms::username_field(pool, f.value("username"));
    let inner = format!(
        "<p>Enter your {} and we will send you a code to reset your password.</p><form method=\"post\" action=\"{}\">{}{}<button type=\"submit\" name=\"resetPasswordButton\">Send code</button></form><p class=\"alt\"><a href=\"{}\">Back to sign in</a></p>",
        username.label.to_lowercase(),
        f.link("/forgotPassword"),
        f.hidden(),
        username.html(),
        f.link("/login")
    );
    f.page("Reset your password", message, &inner)
}

/// The fields of the new-password form, in order.
fn reset_fields<'a>(pool: &Pool, f: &'a Form) -> Vec<Field<'a>> {
    vec![
        forms::username_field(pool, f.value("username")),
        Field {
            autocomplete: Some("one-time-code"),
            inputmode: Some("numeric"),
            value: f.value("code"),
            ..Field::new("code", "Verification code", "text")
        },
        Field {
            autocomplete: Some("new-password"),
            hint: Some(forms::password_rules(&pool.password_policy())),
            ..Field::new("password", "New password", "password")
        },
        Field {
            autocomplete: Some("new-password"),
            ..Field::new("confirm_password", "Confirm new password", "password")
        },
    ]
}

fn reset_page(f: &Form, pool: &Pool, message: Option<Message>) -> Response {
    let fields: String = reset_fields(pool, f).iter().map(Field::html).collect();
    let inner = format!(
        "<form method=\"post\" action=\"{}\">{}{fields}<button type=\"submit\" name=\"changePasswordButton\">Change password</button></form><p class=\"alt\">No code? <a href=\"{}\">Send a new one</a></p>",
        f.link("/confirmForgotPassword"),
        f.hidden(),
        f.link("/forgotPassword")
    );
    f.page("Choose a new password", message, &inner)
}

pub async fn forgot_get(State(cx): State<Cognito>, Query(q): Query<Params>) -> Response {
    let page = Form::shown(&cx, &q, FORGOT)
        .and_then(|f| Ok(forgot_page(&f, &f.pool(&cx, FORGOT, false)?, None)));
    page.unwrap_or_else(|r| *r)
}

pub async fn forgot_post(
    State(cx): State<Cognito>,
    headers: HeaderMap,
    Query(q): Query<Params>,
    body: Bytes,
) -> Response {
    let (f, pool) = match Form::posted_to_pool(&cx, &headers, &q, &body, FORGOT, false) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let result = match f.missing(&[forms::username_field(&pool, "")]) {
        Some(why) => Err(CognitoError::invalid(why)),
        None => {
            Operation::ForgotPassword
                .run(&cx, f.input(json!({})), &f.flow)
                .await
        }
    };
    match result {
        Ok(out) => {
            let delivery = &out["CodeDeliveryDetails"];
            step(
                &cx,
                FORGOT,
                &f.flow,
                json!({"username": f.value("username"), "delivery": delivery}),
            );
            let sent = forms::code_sent(delivery, "choose a new password");
            reset_page(&f, &pool, Some(Message::Notice(&sent)))
        }
        Err(e) => {
            f.refused(&cx, FORGOT, &e, json!({}));
            forgot_page(&f, &pool, Some(Message::Error(&e.message)))
        }
    }
}

pub async fn confirm_get(State(cx): State<Cognito>, Query(q): Query<Params>) -> Response {
    let page = Form::shown(&cx, &q, RESET)
        .and_then(|f| Ok(reset_page(&f, &f.pool(&cx, RESET, false)?, None)));
    page.unwrap_or_else(|r| *r)
}

pub async fn confirm_post(
    State(cx): State<Cognito>,
    headers: HeaderMap,
    Query(q): Query<Params>,
    body: Bytes,
) -> Response {
    let (f, pool) = match Form::posted_to_pool(&cx, &headers, &q, &body, RESET, false) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    match reset(&cx, &f, &pool).await {
        Ok(()) => {
            step(
                &cx,
                RESET,
                &f.flow,
                json!({"username": f.value("username")}),
            );
            found(&format!(
                "/login?{}&notice=password_reset",
                f.req.to_query()
            ))
        }
        Err(e) => {
            f.refused(&cx, RESET, &e, json!({}));
            reset_page(&f, &pool, Some(Message::Error(&e.message)))
        }
    }
}

/// Every field given and the new password typed twice alike, then ConfirmForgotPassword
/// (which checks the policy before it spends the code).
async fn reset(cx: &Cognito, f: &Form, pool: &Pool) -> Result<()> {
    if let Some(why) = f.missing(&reset_fields(pool, f)) {
        return Err(CognitoError::invalid(why));
    }
    if f.value("password") != f.value("confirm_password") {
        return Err(CognitoError::invalid(
            "The passwords do not match: type the same new password twice.",
        ));
    }
    let members = json!({
        "ConfirmationCode": f.value("code").trim(),
        "Password": f.value("password"),
    });
    Operation::ConfirmForgotPassword
        .run(cx, f.input(members), &f.flow)
        .await?;
    Ok(())
}
