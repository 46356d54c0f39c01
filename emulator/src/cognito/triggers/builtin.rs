//! Built-in trigger handlers written in Rust. `link_by_email` does what the integration
//! guide's Lambda means to do: on `PreSignUp_ExternalProvider`, find a native user with the
//! same email, link the federated identity to it (AdminLinkProviderForUser with the provider
//! taken from `userName`), and fail with `re_authentication_required` so that the next
//! sign-in lands on the native user. Its API calls go through the same operations and the
//! same journal entries as calls over HTTP.

use serde_json::{Value, json};

use super::Attempt;
use crate::cognito::Cognito;
use crate::cognito::api::Operation;
use crate::cognito::error::CognitoError;
use crate::journal::{EventKind, Service};

/// Run an API operation in-process, journaled as a call over HTTP would be.
fn call(cx: &Cognito, op: Operation, body: Value) -> Result<Value, CognitoError> {
    let out = op.call(cx, body.clone());
    let pool_id = body["UserPoolId"].as_str().unwrap_or("");
    let flow = cx.services.triggers.active_flow(pool_id);
    let flow = flow.as_deref();
    match &out {
        Ok(_) => cx.journal.record(Service::Cognito, EventKind::ApiCall, op.name(), flow, json!({"request": body, "caller": "builtin:link_by_email"})),
        Err(e) => cx.journal.record(Service::Cognito, EventKind::Rejected, op.name(), flow, json!({"request": body, "error": e.exception.name(), "message": e.message, "caller": "builtin:link_by_email"})),
    };
    out
}

pub async fn invoke(cx: &Cognito, name: &str, event: &Value) -> Attempt {
    let mut logs = Vec::new();
    let result = match name {
        "link_by_email" => link_by_email(cx, event, &mut logs),
        other => Err(format!("unknown built-in handler {other}")),
    };
    Attempt::Answered { result, logs }
}

fn link_by_email(cx: &Cognito, event: &Value, logs: &mut Vec<String>) -> Result<Value, String> {
    if event["triggerSource"] != "PreSignUp_ExternalProvider" {
        logs.push("not a sign-in with an external provider".into());
        return Ok(event.clone());
    }
    let pool_id = event["userPoolId"].as_str().unwrap_or("");
    let Some(email) = event["request"]["userAttributes"]["email"].as_str() else {
        logs.push("no email attribute: nothing to link".into());
        return Ok(event.clone());
    };
    let user_name = event["userName"].as_str().unwrap_or("");
    let Some((provider, subject)) = user_name.split_once('_') else {
        return Err(format!("userName {user_name} is not <Provider>_<subject>"));
    };
    let filter = format!(
        "email = \"{}\"",
        email.replace('\\', "\\\\").replace('"', "\\\"")
    );
    let found = call(
        cx,
        Operation::ListUsers,
        json!({"UserPoolId": pool_id, "Filter": filter}),
    )
    .map_err(|e| e.to_string())?;
    let native = found["Users"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["UserStatus"] != "EXTERNAL_PROVIDER");
    let Some(dest) = native.and_then(|u| u["Username"].as_str()) else {
        logs.push(format!(
            "no native user with email {email}: sign-up goes on"
        ));
        return Ok(event.clone());
    };
    logs.push(format!(
        "linking {provider}:{subject} to native user {dest}"
    ));
    let link = json!({
        "UserPoolId": pool_id,
        "DestinationUser": {"ProviderName": "Cognito", "ProviderAttributeName": "cognito:username", "ProviderAttributeValue": dest},
        "SourceUser": {"ProviderName": provider, "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": subject},
    });
    call(cx, Operation::AdminLinkProviderForUser, link).map_err(|e| e.to_string())?;
    logs.push("linked: asking the user to sign in again".into());
    Err("re_authentication_required".into())
}
