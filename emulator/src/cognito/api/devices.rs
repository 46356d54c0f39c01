//! Remembered devices: ConfirmDevice (the device's SRP verifier), GetDevice, ListDevices,
//! UpdateDeviceStatus, ForgetDevice, and their admin twins. A user's devices are listed by
//! scanning the pool's devices (few per pool in an emulator).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use num_bigint::BigUint;
use serde::Deserialize;
use serde_json::{Value, json};

use super::account::signed_in;
use super::pools::secs;
use super::{check_limit, page_token, pool};
use crate::cognito::Cognito;
use crate::cognito::error::{CognitoError, Result};
use crate::cognito::model::{Device, Pool};
use crate::cognito::user;
use crate::store::UserRow;

fn not_found() -> CognitoError {
    CognitoError::not_found("Device does not exist.")
}

fn device_of(cx: &Cognito, pool: &Pool, u: &UserRow, key: &str) -> Result<Device> {
    let d: Device = cx.store.get(&pool.id, key)?.ok_or_else(not_found)?;
    if d.user_sub != u.sub {
        return Err(not_found());
    }
    Ok(d)
}

fn wire(d: &Device) -> Value {
    let status = if d.remembered {
        "remembered"
    } else {
        "not_remembered"
    };
    let mut attrs = vec![
        json!({"Name": "device_status", "Value": "valid"}),
        json!({"Name": "dev:device_remembered_status", "Value": status}),
    ];
    if let Some(n) = &d.name {
        attrs.push(json!({"Name": "device_name", "Value": n}));
    }
    json!({
        "DeviceKey": d.key,
        "DeviceAttributes": attrs,
        "DeviceCreateDate": secs(d.created),
        "DeviceLastModifiedDate": secs(d.modified),
        "DeviceLastAuthenticatedDate": secs(d.last_authenticated),
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifierConfig {
    password_verifier: String,
    salt: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfirmIn {
    access_token: String,
    device_key: String,
    device_secret_verifier_config: Option<VerifierConfig>,
    device_name: Option<String>,
}

/// ConfirmDevice: the device keeps a secret and gives the pool its SRP verifier.
pub fn confirm(cx: &Cognito, input: ConfirmIn) -> Result<Value> {
    let (pool, u) = signed_in(cx, &input.access_token)?;
    let mut d = device_of(cx, &pool, &u, &input.device_key)?;
    let config = input
        .device_secret_verifier_config
        .ok_or_else(|| CognitoError::invalid("DeviceSecretVerifierConfig is required."))?;
    let decode = |what: &str, b64: &str| {
        B64.decode(b64)
            .map(|b| BigUint::from_bytes_be(&b).to_str_radix(16))
            .map_err(|_| CognitoError::invalid(format!("{what} is not base64.")))
    };
    d.verifier = Some(decode("PasswordVerifier", &config.password_verifier)?);
    d.salt = Some(decode("Salt", &config.salt)?);
    d.name = input.device_name;
    let on_prompt = pool
        .settings
        .get("DeviceConfiguration")
        .and_then(|c| c.get("DeviceOnlyRememberedOnUserPrompt"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    d.remembered = !on_prompt;
    d.modified = cx.clock.now_millis();
    cx.store.put(&pool.id, &d.key, &d)?;
    Ok(json!({"UserConfirmationNecessary": on_prompt}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeviceIn {
    access_token: String,
    device_key: String,
}

pub fn get(cx: &Cognito, input: DeviceIn) -> Result<Value> {
    let (pool, u) = signed_in(cx, &input.access_token)?;
    Ok(json!({"Device": wire(&device_of(cx, &pool, &u, &input.device_key)?)}))
}

pub fn forget(cx: &Cognito, input: DeviceIn) -> Result<Value> {
    let (pool, u) = signed_in(cx, &input.access_token)?;
    device_of(cx, &pool, &u, &input.device_key)?;
    cx.store.delete::<Device>(&pool.id, &input.device_key)?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StatusIn {
    access_token: String,
    device_key: String,
    device_remembered_status: Option<String>,
}

fn set_status(
    cx: &Cognito,
    pool: &Pool,
    u: &UserRow,
    key: &str,
    status: Option<&str>,
) -> Result<Value> {
    let mut d = device_of(cx, pool, u, key)?;
    d.remembered = match status {
        Some("remembered") => true,
        Some("not_remembered") | None => false,
        Some(other) => {
            return Err(CognitoError::validation(
                "deviceRememberedStatus",
                &format!("'{other}'"),
                "Member must satisfy enum value set: [remembered, not_remembered]",
            ));
        }
    };
    d.modified = cx.clock.now_millis();
    cx.store.put(&pool.id, &d.key, &d)?;
    Ok(json!({}))
}

pub fn update_status(cx: &Cognito, input: StatusIn) -> Result<Value> {
    let (pool, u) = signed_in(cx, &input.access_token)?;
    set_status(
        cx,
        &pool,
        &u,
        &input.device_key,
        input.device_remembered_status.as_deref(),
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListIn {
    access_token: String,
    limit: Option<i64>,
    pagination_token: Option<String>,
}

fn list_of(
    cx: &Cognito,
    pool: &Pool,
    u: &UserRow,
    limit: Option<i64>,
    token: Option<&str>,
) -> Result<Value> {
    let max = check_limit("limit", limit, 0, 60, 60)?;
    let after = page_token::decode(token)? as usize;
    let mine: Vec<Device> = cx
        .store
        .list::<Device>(Some(&pool.id))?
        .into_iter()
        .filter(|d| d.user_sub == u.sub && d.confirmed())
        .collect();
    let page: Vec<Value> = mine.iter().skip(after).take(max).map(wire).collect();
    let mut out = json!({"Devices": page});
    if after.saturating_add(max) < mine.len() {
        out["PaginationToken"] = json!(page_token::encode((after + max) as i64));
    }
    Ok(out)
}

pub fn list(cx: &Cognito, input: ListIn) -> Result<Value> {
    let (pool, u) = signed_in(cx, &input.access_token)?;
    list_of(
        cx,
        &pool,
        &u,
        input.limit,
        input.pagination_token.as_deref(),
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminDeviceIn {
    user_pool_id: String,
    username: String,
    device_key: String,
    device_remembered_status: Option<String>,
}

fn admin_user(cx: &Cognito, pool_id: &str, username: &str) -> Result<(Pool, UserRow)> {
    let pool = pool(cx, pool_id)?;
    let u = user::get(cx, &pool, username)?;
    Ok((pool, u))
}

pub fn admin_get(cx: &Cognito, input: AdminDeviceIn) -> Result<Value> {
    let (pool, u) = admin_user(cx, &input.user_pool_id, &input.username)?;
    Ok(json!({"Device": wire(&device_of(cx, &pool, &u, &input.device_key)?)}))
}

pub fn admin_forget(cx: &Cognito, input: AdminDeviceIn) -> Result<Value> {
    let (pool, u) = admin_user(cx, &input.user_pool_id, &input.username)?;
    device_of(cx, &pool, &u, &input.device_key)?;
    cx.store.delete::<Device>(&pool.id, &input.device_key)?;
    Ok(json!({}))
}

pub fn admin_update_status(cx: &Cognito, input: AdminDeviceIn) -> Result<Value> {
    let (pool, u) = admin_user(cx, &input.user_pool_id, &input.username)?;
    set_status(
        cx,
        &pool,
        &u,
        &input.device_key,
        input.device_remembered_status.as_deref(),
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminListIn {
    user_pool_id: String,
    username: String,
    limit: Option<i64>,
    pagination_token: Option<String>,
}

pub fn admin_list(cx: &Cognito, input: AdminListIn) -> Result<Value> {
    let (pool, u) = admin_user(cx, &input.user_pool_id, &input.username)?;
    list_of(
        cx,
        &pool,
        &u,
        input.limit,
        input.pagination_token.as_deref(),
    )
}
