//! The triggers Cognito runs, each with its event and the typed reading of its answer:
//! PreSignUp, PostConfirmation, Pre/PostAuthentication and pre token generation.

use serde_json::json;

use super::{PreSignUpAnswer, TriggerError, events, invoke};
use crate::cognito::Cognito;
use crate::cognito::model::{Client, Pool};
use crate::cognito::tokens::ClaimOverrides;
use crate::store::UserRow;

/// PreSignUp (`PreSignUp_SignUp`, `_AdminCreateUser`, `_ExternalProvider`).
pub async fn pre_sign_up(
    cx: &Cognito,
    pool: &Pool,
    client_id: Option<&str>,
    source: &str,
    username: &str,
    attrs: &[(String, String)],
    flow: &str,
) -> Result<PreSignUpAnswer, TriggerError> {
    let event = events::pre_sign_up(cx, pool, client_id, source, username, attrs);
    let answer = invoke(cx, pool, "PreSignUp", event, flow).await?;
    Ok(answer
        .map(|a| PreSignUpAnswer::from_response(&a["response"]))
        .unwrap_or_default())
}

pub async fn post_confirmation(
    cx: &Cognito,
    pool: &Pool,
    client_id: Option<&str>,
    user: &UserRow,
    flow: &str,
) -> Result<(), TriggerError> {
    let event = events::for_user(
        cx,
        pool,
        client_id,
        "PostConfirmation_ConfirmSignUp",
        user,
        json!({}),
        json!({}),
    );
    invoke(cx, pool, "PostConfirmation", event, flow)
        .await
        .map(|_| ())
}

/// PreAuthentication then PostAuthentication for a sign-in of an existing user that needs no
/// further factor (federation).
pub async fn authentication(
    cx: &Cognito,
    pool: &Pool,
    client: &Client,
    user: &UserRow,
    flow: &str,
) -> Result<(), TriggerError> {
    pre_authentication(cx, pool, client, user, flow).await?;
    post_authentication(cx, pool, client, user, flow).await
}

/// PreAuthentication: before the user's credentials are checked; its error refuses the sign-in.
pub async fn pre_authentication(
    cx: &Cognito,
    pool: &Pool,
    client: &Client,
    user: &UserRow,
    flow: &str,
) -> Result<(), TriggerError> {
    let pre = events::for_user(
        cx,
        pool,
        Some(client.client_id.as_str()),
        "PreAuthentication_Authentication",
        user,
        json!({"validationData": {}, "userNotFound": false}),
        json!({}),
    );
    invoke(cx, pool, "PreAuthentication", pre, flow)
        .await
        .map(|_| ())
        .map_err(|e| TriggerError {
            message: e.api_message("PreAuthentication"),
            ..e
        })
}

/// PostAuthentication: after every factor passed, before tokens are issued.
pub async fn post_authentication(
    cx: &Cognito,
    pool: &Pool,
    client: &Client,
    user: &UserRow,
    flow: &str,
) -> Result<(), TriggerError> {
    let post = events::for_user(
        cx,
        pool,
        Some(client.client_id.as_str()),
        "PostAuthentication_Authentication",
        user,
        json!({"newDeviceUsed": false}),
        json!({}),
    );
    invoke(cx, pool, "PostAuthentication", post, flow)
        .await
        .map(|_| ())
        .map_err(|e| TriggerError {
            message: e.api_message("PostAuthentication"),
            ..e
        })
}

/// A custom authentication trigger (`DefineAuthChallenge`, `CreateAuthChallenge`,
/// `VerifyAuthChallengeResponse`) with its `request`; the handler's `response`.
pub async fn custom_auth(
    cx: &Cognito,
    pool: &Pool,
    client: &Client,
    user: &UserRow,
    trigger: &str,
    request: serde_json::Value,
    flow: &str,
) -> Result<serde_json::Value, TriggerError> {
    let source = format!("{trigger}_Authentication");
    let event = events::for_user(
        cx,
        pool,
        Some(client.client_id.as_str()),
        &source,
        user,
        request,
        json!({}),
    );
    let answer = invoke(cx, pool, trigger, event, flow).await?;
    Ok(answer.map(|a| a["response"].clone()).unwrap_or_default())
}

/// Pre token generation: the claims the handler adds, overrides or suppresses.
pub async fn pre_token(
    cx: &Cognito,
    pool: &Pool,
    client: &Client,
    user: &UserRow,
    source: &str,
    flow: &str,
) -> Result<ClaimOverrides, TriggerError> {
    let groups = cx.store.groups_of(user.id).unwrap_or_default();
    let request = json!({"groupConfiguration": {"groupsToOverride": groups, "iamRolesToOverride": [], "preferredRole": null}});
    let event = events::for_user(
        cx,
        pool,
        Some(&client.client_id),
        source,
        user,
        request,
        json!({"claimsOverrideDetails": null}),
    );
    let answer = invoke(cx, pool, "PreTokenGeneration", event, flow).await?;
    Ok(answer
        .map(|a| events::claim_overrides(&a["response"]))
        .unwrap_or_default())
}
