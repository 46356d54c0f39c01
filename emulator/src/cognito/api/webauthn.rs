//! Passkey management by access token: StartWebAuthnRegistration,
//! CompleteWebAuthnRegistration, ListWebAuthnCredentials, DeleteWebAuthnCredential
//! (the ceremonies and checks live in `cognito::passkeys`).

use serde::Deserialize;
use serde_json::{Value, json};

use super::account::signed_in;
use super::{check_limit, page_token};
use crate::cognito::Cognito;
use crate::cognito::error::{CognitoError, Result};
use crate::cognito::passkeys::{self, Passkey};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartIn {
    access_token: String,
}

pub fn start(cx: &Cognito, input: StartIn) -> Result<Value> {
    let (pool, u) = signed_in(cx, &input.access_token)?;
    let options = passkeys::start_registration(cx, &pool, &u)?;
    Ok(json!({"CredentialCreationOptions": options}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CompleteIn {
    access_token: String,
    credential: Value,
}

pub fn complete(cx: &Cognito, input: CompleteIn) -> Result<Value> {
    let (pool, u) = signed_in(cx, &input.access_token)?;
    let key = passkeys::complete_registration(cx, &pool, &u, &input.credential)?;
    let _ = cx.journal.record(
        crate::journal::Service::Cognito,
        crate::journal::EventKind::FlowStep,
        "webauthn.registered",
        None,
        json!({"username": u.username, "credential_id": key.id, "rp_id": key.rp_id}),
    );
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListIn {
    access_token: String,
    next_token: Option<String>,
    max_results: Option<i64>,
}

pub fn list(cx: &Cognito, input: ListIn) -> Result<Value> {
    let (pool, u) = signed_in(cx, &input.access_token)?;
    let max = check_limit("maxResults", input.max_results, 0, 20, 20)?;
    let after = page_token::decode(input.next_token.as_deref())? as usize;
    let keys = passkeys::of_user(cx, &pool, &u)?;
    let page: Vec<Value> = keys
        .iter()
        .skip(after)
        .take(max)
        .map(passkeys::wire)
        .collect();
    let mut out = json!({"Credentials": page});
    if after.saturating_add(max) < keys.len() {
        out["NextToken"] = json!(page_token::encode((after + max) as i64));
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteIn {
    access_token: String,
    credential_id: String,
}

pub fn delete(cx: &Cognito, input: DeleteIn) -> Result<Value> {
    let (pool, u) = signed_in(cx, &input.access_token)?;
    let found: Option<Passkey> = cx.store.get(&pool.id, &input.credential_id)?;
    if found.is_none_or(|p| p.user_sub != u.sub) {
        return Err(CognitoError::not_found("Credential not found."));
    }
    cx.store.delete::<Passkey>(&pool.id, &input.credential_id)?;
    Ok(json!({}))
}
