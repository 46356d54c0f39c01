//! Custom authentication (`CUSTOM_AUTH`): the pool's DefineAuthChallenge decides each step
//! from the session's history, CreateAuthChallenge makes the challenge, and
//! VerifyAuthChallengeResponse judges the answer, as Cognito runs them. The history
//! (`challengeName`, `challengeResult`, `challengeMetadata`) travels in the sign-in session.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::session::{self, AuthSession};
use super::{Next, SignIn, lambda_error};
use crate::cognito::api::signup::check_secret_hash;
use crate::cognito::error::{CognitoError, Exception, Result};
use crate::cognito::triggers;
use crate::store::UserRow;

const TRIGGERS: [&str; 3] = [
    "DefineAuthChallenge",
    "CreateAuthChallenge",
    "VerifyAuthChallengeResponse",
];

fn invalid_lambda(why: String) -> CognitoError {
    CognitoError::new(Exception::InvalidLambdaResponse, why)
}

impl SignIn<'_> {
    async fn custom_trigger(&self, u: &UserRow, trigger: &str, request: Value) -> Result<Value> {
        triggers::custom_auth(
            self.cx,
            &self.pool,
            &self.client,
            u,
            trigger,
            request,
            self.flow,
        )
        .await
        .map_err(|e| {
            lambda_error(triggers::TriggerError {
                message: e.api_message(trigger),
                ..e
            })
        })
    }
}

/// InitiateAuth `CUSTOM_AUTH`.
pub async fn start(si: &SignIn<'_>, p: &HashMap<String, String>) -> Result<Next> {
    if let Some(missing) = TRIGGERS.iter().find(|t| si.pool.lambda(t).is_none()) {
        return Err(CognitoError::invalid(format!(
            "Custom auth lambda trigger is not configured for the user pool ({missing} missing)."
        )));
    }
    let username = p
        .get("USERNAME")
        .ok_or_else(|| CognitoError::invalid("Missing required parameter USERNAME"))?;
    check_secret_hash(
        &si.client,
        username,
        p.get("SECRET_HASH").map(String::as_str),
    )?;
    let u = si.find_user(username)?;
    si.start(&u).await?;
    si.check_status(&u)?;
    let mut s = AuthSession::new(si.cx, &si.client, &u.sub, "CUSTOM_CHALLENGE", "CUSTOM_AUTH");
    // `CHALLENGE_NAME: SRP_A` starts with the password (CUSTOM_WITH_SRP): Define sees the
    // client's SRP_A as a passed step and may ask for PASSWORD_VERIFIER.
    if p.get("CHALLENGE_NAME").map(String::as_str) == Some("SRP_A") {
        let a_hex = p
            .get("SRP_A")
            .ok_or_else(|| CognitoError::invalid("Missing required parameter SRP_A"))?;
        let a = super::challenges::parse_a(a_hex)?;
        s.history.push(step("SRP_A", true, Value::Null));
        s.private = json!({"srp_a": a.to_str_radix(16)});
    }
    define(si, u, s).await
}

fn step(name: &str, result: bool, metadata: Value) -> Value {
    json!({"challengeName": name, "challengeResult": result, "challengeMetadata": metadata})
}

/// After PASSWORD_VERIFIER in a custom flow: the result joins the history, Define decides.
pub async fn after_password(
    si: &SignIn<'_>,
    u: UserRow,
    mut s: AuthSession,
    proved: bool,
) -> Result<Next> {
    s.history
        .push(step("PASSWORD_VERIFIER", proved, Value::Null));
    s.srp = None;
    s.private = Value::Null;
    define(si, u, s).await
}

/// DefineAuthChallenge on the history so far: tokens, a refusal, or the next challenge.
async fn define(si: &SignIn<'_>, u: UserRow, s: AuthSession) -> Result<Next> {
    let answer = si
        .custom_trigger(
            &u,
            "DefineAuthChallenge",
            json!({"session": s.history, "userNotFound": false}),
        )
        .await?;
    if answer["issueTokens"] == true {
        return si.after_first_factor(u, "CUSTOM_AUTH").await;
    }
    if answer["failAuthentication"] == true {
        return Err(CognitoError::not_authorized(
            "Incorrect username or password.",
        ));
    }
    let name = answer["challengeName"].as_str().unwrap_or("");
    if name == "PASSWORD_VERIFIER" {
        let a = s.private["srp_a"].as_str().ok_or_else(|| {
            invalid_lambda(
                "DefineAuthChallenge asked for PASSWORD_VERIFIER, but the sign-in did not start with SRP_A (CHALLENGE_NAME: SRP_A)".into(),
            )
        })?;
        let a = super::challenges::parse_a(a)?;
        let mut next = AuthSession::new(
            si.cx,
            &si.client,
            &u.sub,
            "PASSWORD_VERIFIER",
            "CUSTOM_AUTH",
        );
        next.history = s.history;
        return si.srp_challenge(&u, &a, next);
    }
    if name != "CUSTOM_CHALLENGE" {
        return Err(invalid_lambda(format!(
            "DefineAuthChallenge answered challengeName {name:?}: this emulator runs CUSTOM_CHALLENGE steps (or issueTokens / failAuthentication)."
        )));
    }
    let created = si
        .custom_trigger(
            &u,
            "CreateAuthChallenge",
            json!({"challengeName": name, "session": s.history, "userNotFound": false}),
        )
        .await?;
    let mut public: Map<String, Value> = created["publicChallengeParameters"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    public.insert("USERNAME".into(), json!(u.username));
    // A new session (and expiry) per challenge; the history goes on.
    let mut next = AuthSession::new(si.cx, &si.client, &u.sub, "CUSTOM_CHALLENGE", "CUSTOM_AUTH");
    next.history = s.history;
    next.private = json!({
        "parameters": created["privateChallengeParameters"],
        "metadata": created["challengeMetadata"],
    });
    // Cognito's challenge parameters are strings.
    let public = public
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(_) => (k, v),
            other => (k, Value::String(other.to_string())),
        })
        .collect();
    si.challenge(&next, "CUSTOM_CHALLENGE", public)
}

/// RespondToAuthChallenge `CUSTOM_CHALLENGE`.
pub async fn answer(
    si: &SignIn<'_>,
    session: Option<&str>,
    r: &HashMap<String, String>,
) -> Result<Next> {
    let mut s = session::take(si.cx, &si.client, session, "CUSTOM_CHALLENGE")?;
    let u = si.session_user(&s, r.get("USERNAME").map(String::as_str))?;
    if let Some(name) = r.get("USERNAME") {
        check_secret_hash(&si.client, name, r.get("SECRET_HASH").map(String::as_str))?;
    }
    let given = r
        .get("ANSWER")
        .ok_or_else(|| CognitoError::invalid("Missing required parameter ANSWER"))?;
    let verdict = si
        .custom_trigger(
            &u,
            "VerifyAuthChallengeResponse",
            json!({
                "privateChallengeParameters": s.private["parameters"],
                "challengeAnswer": given,
                "userNotFound": false,
            }),
        )
        .await?;
    s.history.push(step(
        "CUSTOM_CHALLENGE",
        verdict["answerCorrect"] == true,
        s.private["metadata"].clone(),
    ));
    s.private = Value::Null;
    define(si, u, s).await
}
