//! Managed login's challenge pages: whatever the sign-in core asks after the first step
//! (an email or SMS code, an authenticator code, a new password, a passkey) is one page whose
//! form posts to `/login/challenge` with the challenge's session; passwordless first steps
//! (`factor` = WEB_AUTHN, EMAIL_OTP or SMS_OTP on the login page) start there too. Once
//! signed in, the passkey offer (`passkey_offer.rs`) or the app's callback follows.
//! The passkey pages call `navigator.credentials` with the JSON options, like the IdP's.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::flow::AuthorizeRequest;
use super::forms::{Field, Form, Message, hidden, password_rules};
use super::{Cognito, complete, error_page, escape, page, passkey_offer, rejected, step};
use crate::cognito::error::CognitoError;
use crate::cognito::model::Client;
use crate::cognito::signin::{Challenge, Next, SignIn};
use crate::cognito::triggers;

type Params = HashMap<String, String>;

/// The challenge's answer member for a code typed on the page.
fn code_member(challenge: &str) -> Option<&'static str> {
    Some(match challenge {
        "EMAIL_OTP" => "EMAIL_OTP_CODE",
        "SMS_OTP" => "SMS_OTP_CODE",
        "SMS_MFA" => "SMS_MFA_CODE",
        "SOFTWARE_TOKEN_MFA" => "SOFTWARE_TOKEN_MFA_CODE",
        _ => return None,
    })
}

/// JSON for a `<script type="application/json">` block (no `</script>` break-out).
pub(super) fn script_json(v: &str) -> String {
    v.replace('<', "\\u003c")
}

pub(super) const PASSKEY_SCRIPT: &str = r#"<script>
const options = JSON.parse(document.getElementById('options').textContent);
document.getElementById('passkey-button').addEventListener('click', async () => {
  const error = document.getElementById('passkey-error');
  try {
    const cred = CEREMONY;
    document.getElementById('credential').value = JSON.stringify(cred.toJSON());
    document.getElementById('passkey-form').submit();
  } catch (e) { error.textContent = e.name + ': ' + e.message; }
});
</script>"#;

/// The page for challenge `c` of `username`'s sign-in, or `None` when the hosted pages have
/// none for it (the caller refuses).
pub fn challenge_page(
    si: &SignIn<'_>,
    req: &AuthorizeRequest,
    c: &Challenge,
    username: &str,
    csrf: &str,
    error: Option<&str>,
) -> Option<Response> {
    let mut body = format!(
        "<p class=\"app\">to continue to {}</p>",
        escape(&si.client.name)
    );
    if let Some(e) = error {
        body.push_str(&Message::Error(e).html());
    }
    let action = format!("/login/challenge?{}", escape(&req.to_query()));
    let common = [
        hidden("_csrf", csrf),
        hidden("flow", si.flow),
        hidden("challenge", &c.name),
        hidden("session", c.session.as_deref().unwrap_or("")),
        hidden("username", username),
    ]
    .concat();
    let title = match c.name.as_str() {
        name if code_member(name).is_some() => {
            let to = c
                .parameters
                .get("CODE_DELIVERY_DESTINATION")
                .and_then(Value::as_str);
            let prompt = match to {
                Some(d) => format!("Enter the code sent to {}.", escape(d)),
                None => "Enter the code from your authenticator app.".to_owned(),
            };
            let code = Field {
                autocomplete: Some("one-time-code"),
                inputmode: Some("numeric"),
                ..Field::new("code", "Code", "text")
            };
            body.push_str(&format!(
                "<form method=\"post\" action=\"{action}\">{common}<p id=\"code-prompt\">{prompt}</p>{}<button type=\"submit\" name=\"codeSubmitButton\">Sign in</button></form>",
                code.html()
            ));
            "Enter your code"
        }
        "NEW_PASSWORD_REQUIRED" => {
            let password = Field {
                autocomplete: Some("new-password"),
                hint: Some(password_rules(&si.pool.password_policy())),
                ..Field::new("new_password", "New password", "password")
            };
            body.push_str(&format!(
                "<form method=\"post\" action=\"{action}\">{common}<p>Choose a password to replace the temporary one.</p>{}<button type=\"submit\" name=\"newPasswordSubmitButton\">Change password</button></form>",
                password.html()
            ));
            "Change your password"
        }
        "WEB_AUTHN" => {
            let options = c
                .parameters
                .get("CREDENTIAL_REQUEST_OPTIONS")
                .and_then(Value::as_str)
                .unwrap_or("{}");
            let ceremony = "await navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)})";
            body.push_str(&format!(
                "<script type=\"application/json\" id=\"options\">{}</script><form id=\"passkey-form\" method=\"post\" action=\"{action}\">{common}<input type=\"hidden\" name=\"credential\" id=\"credential\"></form><button type=\"button\" id=\"passkey-button\">Sign in with your passkey</button><p id=\"passkey-error\" role=\"alert\"></p>{}",
                script_json(options),
                PASSKEY_SCRIPT.replace("CEREMONY", ceremony)
            ));
            "Sign in with a passkey"
        }
        _ => return None,
    };
    Some(page(StatusCode::OK, title, &body))
}

/// The form of a challenge page as the core's `ChallengeResponses`.
fn responses(form: &Params) -> Params {
    let mut r = Params::new();
    let challenge = form.get("challenge").map(String::as_str).unwrap_or("");
    if let Some(u) = form.get("username") {
        r.insert("USERNAME".into(), u.clone());
    }
    if let (Some(member), Some(code)) = (code_member(challenge), form.get("code")) {
        r.insert(member.into(), code.clone());
    }
    if let Some(p) = form.get("new_password") {
        r.insert("NEW_PASSWORD".into(), p.clone());
    }
    if let Some(c) = form.get("credential") {
        r.insert("CREDENTIAL".into(), c.clone());
    }
    r
}

/// After a step: the next challenge's page, or (authenticated) PostAuthentication, then the
/// passkey offer or the app's callback.
pub async fn next_page(
    cx: &Cognito,
    si: &SignIn<'_>,
    req: &AuthorizeRequest,
    next: Next,
    csrf: &str,
    offer: bool,
) -> Result<Response, String> {
    let u = match next {
        Next::Authenticated(u) => u,
        Next::Challenge(c) => {
            let username = c
                .parameters
                .get("USERNAME")
                .or_else(|| c.parameters.get("USER_ID_FOR_SRP"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            step(
                cx,
                "hosted.challenge",
                si.flow,
                json!({"challenge": c.name}),
            );
            return challenge_page(si, req, &c, &username, csrf, None).ok_or_else(|| {
                format!(
                    "This sign-in needs {}: the emulator's hosted UI has no page for it; sign in through the API (InitiateAuth) instead.",
                    c.name
                )
            });
        }
    };
    triggers::post_authentication(cx, &si.pool, &si.client, &u, si.flow)
        .await
        .map_err(|e| e.message)?;
    step(cx, "hosted.login", si.flow, json!({"username": u.username}));
    let now = cx.clock.now_secs();
    if offer && passkey_offer::offered(cx, si, &u) {
        return passkey_offer::page(cx, si, req, &u, now, csrf).map_err(|e| e.message);
    }
    Ok(complete(cx, &si.client, req, &u, now, si.flow).await)
}

/// `POST /login/challenge`: the answer to a challenge page.
pub async fn challenge_post(
    State(cx): State<Cognito>,
    headers: HeaderMap,
    Query(q): Query<Params>,
    body: Bytes,
) -> Response {
    let Form {
        client,
        req,
        csrf,
        flow,
        values: form,
    } = match Form::posted(&cx, &headers, &q, &body, "hosted.challenge") {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let Ok(si) = SignIn::new(&cx, client, &flow) else {
        return error_page("The user pool no longer exists");
    };
    let challenge = form.get("challenge").cloned().unwrap_or_default();
    let session = form.get("session").cloned();
    let answer = si
        .answer(&challenge, session.as_deref(), &responses(&form))
        .await;
    let result = match answer {
        Ok(next) => {
            next_page(
                &cx,
                &si,
                &req,
                next,
                &csrf,
                challenge == "NEW_PASSWORD_REQUIRED",
            )
            .await
        }
        Err(e) => Err(e.message),
    };
    result.unwrap_or_else(|why| {
        rejected(
            &cx,
            "hosted.challenge",
            Some(&flow),
            json!({"challenge": challenge, "reason": why}),
        );
        // A wrong code may be retried on the same session: the page again, with the error.
        let retry = Challenge {
            name: challenge.clone(),
            parameters: Default::default(),
            session,
            available: Vec::new(),
        };
        let username = form.get("username").cloned().unwrap_or_default();
        match code_member(&challenge)
            .and_then(|_| challenge_page(&si, &req, &retry, &username, &csrf, Some(&why)))
        {
            Some(page) if why.starts_with("Invalid code") => page,
            _ => error_page(&format!("{why} Start the sign-in again from the app.")),
        }
    })
}

/// The first factor chosen on the login page without a password.
pub async fn passwordless(
    cx: &Cognito,
    si: &SignIn<'_>,
    username: &str,
    factor: &str,
) -> Result<Next, CognitoError> {
    let p = Params::from([
        ("USERNAME".to_owned(), username.to_owned()),
        ("PREFERRED_CHALLENGE".to_owned(), factor.to_owned()),
    ]);
    let next = si.user_auth_start(&p).await?;
    if let Next::Challenge(c) = &next
        && c.name == "SELECT_CHALLENGE"
    {
        let _ = cx
            .store
            .take::<crate::cognito::signin::session::AuthSession>(
                &si.pool.id,
                c.session.as_deref().unwrap_or(""),
            );
        return Err(CognitoError::not_authorized(format!(
            "{factor} is not available for this user."
        )));
    }
    Ok(next)
}

/// Which passwordless buttons the login page shows for the client's pool.
pub fn passwordless_factors(cx: &Cognito, client: &Client) -> Vec<&'static str> {
    crate::cognito::api::pool(cx, &client.pool_id)
        .map(|p| crate::cognito::signin::user_auth::allowed_factors(&p))
        .unwrap_or_default()
        .into_iter()
        .filter(|f| *f != "PASSWORD")
        .collect()
}
