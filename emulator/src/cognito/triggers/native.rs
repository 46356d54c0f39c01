//! Triggers on the JSON API's native paths. PreSignUp (`PreSignUp_SignUp` for SignUp,
//! `PreSignUp_AdminCreateUser` for AdminCreateUser): operations are synchronous, so the HTTP
//! layer runs the trigger before the operation and applies the handler's answer
//! (`autoConfirmUser`, `autoVerifyEmail`, `autoVerifyPhone`) to the created user after it.
//! A handler error becomes `UserLambdaValidationException` (a timeout
//! `UnexpectedLambdaException`) and the operation does not run, so nothing is written. Unlike
//! AWS, input the operation would refuse reaches the trigger first. PostConfirmation runs
//! after ConfirmSignUp, AdminConfirmSignUp and an auto-confirmed SignUp.

use serde_json::{Value, json};

use super::PreSignUpAnswer;
use crate::cognito::Cognito;
use crate::cognito::api::{self, Operation};
use crate::cognito::attributes;
use crate::cognito::error::CognitoError;
use crate::cognito::model::Client;
use crate::cognito::user;

/// The pool and trigger source of an operation that signs a user up, if it is one.
fn target(
    cx: &Cognito,
    op: Operation,
    body: &Value,
) -> Option<(String, Option<String>, &'static str)> {
    match op {
        Operation::SignUp => {
            let client_id = body["ClientId"].as_str()?;
            let (pool_id, _) = cx.store.find::<Client>(client_id).ok()??;
            Some((pool_id, Some(client_id.to_owned()), "PreSignUp_SignUp"))
        }
        Operation::AdminCreateUser if body["MessageAction"] != "RESEND" => Some((
            body["UserPoolId"].as_str()?.to_owned(),
            None,
            "PreSignUp_AdminCreateUser",
        )),
        _ => None,
    }
}

fn attrs_of(body: &Value) -> Vec<(String, String)> {
    body["UserAttributes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| {
            Some((
                a["Name"].as_str()?.to_owned(),
                a["Value"].as_str().unwrap_or("").to_owned(),
            ))
        })
        .collect()
}

/// Run PreSignUp before the operation; `Ok(None)` when there is nothing to run.
pub async fn before(
    cx: &Cognito,
    op: Operation,
    body: &Value,
    flow: &str,
) -> Result<Option<PreSignUpAnswer>, CognitoError> {
    let Some((pool_id, client_id, source)) = target(cx, op, body) else {
        return Ok(None);
    };
    let Ok(pool) = api::pool(cx, &pool_id) else {
        return Ok(None);
    };
    if pool.lambda("PreSignUp").is_none() {
        return Ok(None);
    }
    let username = body["Username"].as_str().unwrap_or("");
    super::pre_sign_up(
        cx,
        &pool,
        client_id.as_deref(),
        source,
        username,
        &attrs_of(body),
        flow,
    )
    .await
    .map(Some)
    .map_err(|e| e.api_error("PreSignUp"))
}

/// Apply the handler's answer to the user the operation created; adjusts SignUp's output.
pub fn after(
    cx: &Cognito,
    op: Operation,
    body: &Value,
    answer: PreSignUpAnswer,
    out: &mut Value,
) -> Result<(), CognitoError> {
    let Some((pool_id, _, _)) = target(cx, op, body) else {
        return Ok(());
    };
    let pool = api::pool(cx, &pool_id)?;
    let sub = out["UserSub"].as_str().map(str::to_owned).or_else(|| {
        out["User"]["Attributes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["Name"] == "sub")
            .and_then(|a| a["Value"].as_str().map(str::to_owned))
    });
    let found = match sub {
        Some(s) => cx.store.user_by_sub(&pool.id, &s)?,
        None => user::find(cx, &pool, body["Username"].as_str().unwrap_or(""))?,
    };
    let Some(mut u) = found else {
        return Ok(());
    };
    if answer.auto_confirm_user && op == Operation::SignUp {
        u.status = "CONFIRMED".into();
        out["UserConfirmed"] = json!(true);
    }
    if answer.auto_verify_email && u.attribute("email").is_some() {
        attributes::upsert(&mut u.attributes, "email_verified", "true");
    }
    if answer.auto_verify_phone && u.attribute("phone_number").is_some() {
        attributes::upsert(&mut u.attributes, "phone_number_verified", "true");
    }
    u.modified = cx.clock.now_millis();
    cx.store.update_user(&u)?;
    Ok(())
}

/// PostConfirmation_ConfirmSignUp after an operation that confirmed a user: ConfirmSignUp,
/// AdminConfirmSignUp, or a SignUp that PreSignUp confirmed. The user stays confirmed if the
/// handler fails; the caller gets the handler's error, as in Cognito.
pub async fn post_confirmation(
    cx: &Cognito,
    op: Operation,
    body: &Value,
    out: &Value,
    flow: &str,
) -> Result<(), CognitoError> {
    let client_id = body["ClientId"].as_str();
    let pool_id = match op {
        Operation::ConfirmSignUp => client_id
            .and_then(|id| cx.store.find::<Client>(id).ok().flatten())
            .map(|(p, _)| p),
        Operation::SignUp if out["UserConfirmed"] == true => client_id
            .and_then(|id| cx.store.find::<Client>(id).ok().flatten())
            .map(|(p, _)| p),
        Operation::AdminConfirmSignUp => body["UserPoolId"].as_str().map(str::to_owned),
        _ => None,
    };
    let Some(pool) = pool_id.and_then(|p| api::pool(cx, &p).ok()) else {
        return Ok(());
    };
    if pool.lambda("PostConfirmation").is_none() {
        return Ok(());
    }
    let found = match out["UserSub"].as_str() {
        Some(sub) => cx.store.user_by_sub(&pool.id, sub)?,
        None => user::find(cx, &pool, body["Username"].as_str().unwrap_or(""))?,
    };
    let Some(u) = found else {
        return Ok(());
    };
    super::post_confirmation(cx, &pool, client_id, &u, flow)
        .await
        .map_err(|e| e.api_error("PostConfirmation"))
}
