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

/// PreAuthentication then PostAuthentication for a sign-in of an existing user.
pub async fn authentication(
    cx: &Cognito,
    pool: &Pool,
    client: &Client,
    user: &UserRow,
    flow: &str,
) -> Result<(), TriggerError> {
    let id = Some(client.client_id.as_str());
    let pre = events::for_user(
        cx,
        pool,
        id,
        "PreAuthentication_Authentication",
        user,
        json!({"validationData": {}, "userNotFound": false}),
        json!({}),
    );
    invoke(cx, pool, "PreAuthentication", pre, flow)
        .await
        .map_err(|e| TriggerError {
            message: e.api_message("PreAuthentication"),
            ..e
        })?;
    let post = events::for_user(
        cx,
        pool,
        id,
        "PostAuthentication_Authentication",
        user,
        json!({"newDeviceUsed": false}),
        json!({}),
    );
    invoke(cx, pool, "PostAuthentication", post, flow)
        .await
        .map_err(|e| TriggerError {
            message: e.api_message("PostAuthentication"),
            ..e
        })?;
    Ok(())
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
