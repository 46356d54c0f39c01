//! Choice-based sign-in (`USER_AUTH`): the factors the pool allows first
//! (`Policies.SignInPolicy.AllowedFirstAuthFactors`) narrowed to those this user can use
//! (a password; a verified email or phone number for one-time codes; a registered passkey),
//! offered as `SELECT_CHALLENGE` unless the client's `PREFERRED_CHALLENGE` is one of them.
//! Passwordless factors (WEB_AUTHN, EMAIL_OTP, SMS_OTP) complete the sign-in; a password goes
//! on to MFA as in the other flows.

use serde_json::{Value, json};

use super::session::{self, AuthSession};
use super::{Challenge, Next, Params, SignIn, param, params};
use crate::cognito::api::signup::{check_secret_hash, mask};
use crate::cognito::error::{CognitoError, Exception, Result};
use crate::cognito::model::Pool;
use crate::cognito::user::UserState;
use crate::cognito::{passkeys, password};
use crate::outbox::Channel;
use crate::store::UserRow;

const FIRST_FACTORS: [&str; 4] = ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"];

/// The pool's allowed first factors (`PASSWORD` when the pool sets none, as Cognito).
pub fn allowed_factors(pool: &Pool) -> Vec<&'static str> {
    let set = pool
        .settings
        .get("Policies")
        .and_then(|p| p.get("SignInPolicy"))
        .and_then(|s| s.get("AllowedFirstAuthFactors"))
        .and_then(Value::as_array);
    match set {
        Some(list) => FIRST_FACTORS
            .into_iter()
            .filter(|f| list.iter().any(|v| v == f))
            .collect(),
        None => vec!["PASSWORD"],
    }
}

impl SignIn<'_> {
    /// The challenges this user can answer first, in Cognito's order.
    pub fn available_challenges(&self, u: &UserRow) -> Result<Vec<&'static str>> {
        let allowed = allowed_factors(&self.pool);
        let verified = |a: &str| u.attribute(&format!("{a}_verified")) == Some("true");
        let mut out = Vec::new();
        if allowed.contains(&"PASSWORD") && UserState::of(u).password.is_some() {
            out.extend(["PASSWORD", "PASSWORD_SRP"]);
        }
        if allowed.contains(&"EMAIL_OTP") && verified("email") {
            out.push("EMAIL_OTP");
        }
        if allowed.contains(&"SMS_OTP") && verified("phone_number") {
            out.push("SMS_OTP");
        }
        if allowed.contains(&"WEB_AUTHN") && !passkeys::of_user(self.cx, &self.pool, u)?.is_empty()
        {
            out.push("WEB_AUTHN");
        }
        Ok(out)
    }

    /// InitiateAuth `USER_AUTH`.
    pub async fn user_auth_start(&self, p: &Params) -> Result<Next> {
        let username = param(p, "USERNAME")?;
        check_secret_hash(
            &self.client,
            username,
            p.get("SECRET_HASH").map(String::as_str),
        )?;
        let u = self.find_user(username)?;
        self.start(&u).await?;
        let available = self.available_challenges(&u)?;
        if let Some(preferred) = p.get("PREFERRED_CHALLENGE")
            && let Some(f) = available.iter().find(|f| **f == preferred.as_str())
        {
            return self.first_factor(u, f, p).await;
        }
        if available.is_empty() {
            return Err(CognitoError::not_authorized(
                "The user has no sign-in factor this user pool allows.",
            ));
        }
        let s = AuthSession::new(
            self.cx,
            &self.client,
            &u.sub,
            "SELECT_CHALLENGE",
            "USER_AUTH",
        );
        let id = s.open(self.cx, &self.pool.id)?;
        Ok(Next::Challenge(Challenge {
            name: "SELECT_CHALLENGE".into(),
            parameters: Default::default(),
            session: Some(id),
            available: available.iter().map(|s| (*s).to_owned()).collect(),
        }))
    }

    /// RespondToAuthChallenge `SELECT_CHALLENGE`: `ANSWER` and that factor's own parameters.
    pub async fn select_challenge(&self, session: Option<&str>, r: &Params) -> Result<Next> {
        let s = session::take(self.cx, &self.client, session, "SELECT_CHALLENGE")?;
        let u = self.session_user(&s, r.get("USERNAME").map(String::as_str))?;
        let answer = param(r, "ANSWER")?;
        let available = self.available_challenges(&u)?;
        let Some(f) = available.iter().find(|f| **f == answer) else {
            return Err(CognitoError::invalid(format!(
                "Challenge {answer} is not available to the user (available: {}).",
                available.join(", ")
            )));
        };
        self.first_factor(u, f, r).await
    }

    async fn first_factor(&self, u: UserRow, factor: &str, p: &Params) -> Result<Next> {
        match factor {
            "PASSWORD" => {
                let ok = UserState::of(&u)
                    .password
                    .as_deref()
                    .is_some_and(|h| password::verify(h, param(p, "PASSWORD").unwrap_or("")));
                if !ok {
                    return Err(CognitoError::not_authorized(
                        "Incorrect username or password.",
                    ));
                }
                self.check_status(&u)?;
                self.after_first_factor(u, "USER_AUTH").await
            }
            "PASSWORD_SRP" => {
                let a = super::challenges::parse_a(param(p, "SRP_A")?)?;
                let s = AuthSession::new(
                    self.cx,
                    &self.client,
                    &u.sub,
                    "PASSWORD_VERIFIER",
                    "USER_AUTH",
                );
                self.srp_challenge(&u, &a, s)
            }
            "WEB_AUTHN" => {
                self.check_status(&u)?;
                let (options, state) = passkeys::start_authentication(self.cx, &self.pool, &u)?;
                let mut s =
                    AuthSession::new(self.cx, &self.client, &u.sub, "WEB_AUTHN", "USER_AUTH");
                s.private = serde_json::to_value(state)
                    .map_err(|e| CognitoError::internal(e.to_string()))?;
                self.challenge(
                    &s,
                    "WEB_AUTHN",
                    params([
                        ("CREDENTIAL_REQUEST_OPTIONS", options.to_string()),
                        ("USERNAME", u.username.clone()),
                    ]),
                )
            }
            otp => {
                self.check_status(&u)?;
                self.one_time_code(&u, otp)
            }
        }
    }

    /// EMAIL_OTP or SMS_OTP as a first factor: a code to the verified address.
    fn one_time_code(&self, u: &UserRow, name: &str) -> Result<Next> {
        let (attr, channel, medium) = if name == "SMS_OTP" {
            ("phone_number", Channel::Sms, "SMS")
        } else {
            ("email", Channel::Email, "EMAIL")
        };
        let to = u.attribute(attr).unwrap_or_default().to_owned();
        let code = self.cx.entropy.digits(8);
        let body = format!("Your sign-in code is {code}");
        self.cx
            .outbox
            .send(channel, &to, name, &self.pool.id, &code, body);
        self.code_sent(name, &to);
        let mut s = AuthSession::new(self.cx, &self.client, &u.sub, name, "USER_AUTH");
        s.code = Some(code);
        let mut p = params([("USERNAME", u.username.clone())]);
        p.insert("CODE_DELIVERY_DELIVERY_MEDIUM".into(), json!(medium));
        p.insert("CODE_DELIVERY_DESTINATION".into(), json!(mask(&to)));
        self.challenge(&s, name, p)
    }

    /// RespondToAuthChallenge `WEB_AUTHN`: `CREDENTIAL`, the assertion's JSON text.
    pub fn web_authn(&self, session: Option<&str>, r: &Params) -> Result<Next> {
        let s = session::take(self.cx, &self.client, session, "WEB_AUTHN")?;
        let u = self.session_user(&s, r.get("USERNAME").map(String::as_str))?;
        let state = serde_json::from_value(s.private.clone())
            .map_err(|_| CognitoError::internal("corrupt WEB_AUTHN session"))?;
        passkeys::finish_authentication(self.cx, &self.pool, &u, state, param(r, "CREDENTIAL")?)?;
        Ok(Next::Authenticated(u))
    }

    /// RespondToAuthChallenge `SMS_OTP` (and `EMAIL_OTP` of USER_AUTH, which shares the MFA
    /// code path): the code sent, a few tries per session.
    pub fn sign_in_code(&self, name: &str, session: Option<&str>, r: &Params) -> Result<Next> {
        let id = session.unwrap_or_default().to_owned();
        let s = session::take(self.cx, &self.client, session, name)?;
        let u = self.session_user(&s, r.get("USERNAME").map(String::as_str))?;
        let given = param(r, &format!("{name}_CODE"))?;
        if s.code.as_deref() != Some(given.trim()) {
            s.retry(self.cx, &self.pool.id, &id)?;
            return Err(CognitoError::new(
                Exception::CodeMismatch,
                "Invalid code received for user",
            ));
        }
        Ok(Next::Authenticated(u))
    }
}
