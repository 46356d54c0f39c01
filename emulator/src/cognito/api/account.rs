//! Self-service account operations, authorized by the user's access token (its scope must
//! include `aws.cognito.signin.user.admin`): GetUser, ChangePassword, UpdateUserAttributes,
//! GetUserAttributeVerificationCode, VerifyUserAttribute, DeleteUserAttributes, DeleteUser;
//! and the admin's AdminResetUserPassword.

use serde::Deserialize;
use serde_json::{Value, json};

use super::pool;
use super::signup::{commit_taken, mask, send_code, take_code};
use crate::cognito::attributes::{self, AttributeIn};
use crate::cognito::error::{CognitoError, Exception, Result};
use crate::cognito::model::Pool;
use crate::cognito::signin::ADMIN_SCOPE;
use crate::cognito::signin::mfa::Factor;
use crate::cognito::user::{self, PendingCode, UserState};
use crate::cognito::{Cognito, password, tokens};
use crate::outbox::Channel;
use crate::store::UserRow;

/// How long an attribute verification code works.
const CODE_TTL_MILLIS: i64 = 24 * 3600 * 1000;

/// The user an access token was issued to; it must carry the self-service scope and the user
/// must be enabled.
pub fn signed_in(cx: &Cognito, access_token: &str) -> Result<(Pool, UserRow)> {
    let (pool_id, claims, u) = tokens::check_access_token(cx, access_token)?;
    let scoped = claims["scope"]
        .as_str()
        .unwrap_or("")
        .split(' ')
        .any(|s| s == ADMIN_SCOPE);
    if !scoped {
        return Err(CognitoError::not_authorized(
            "Access Token does not have required scopes",
        ));
    }
    if !u.enabled {
        return Err(CognitoError::not_authorized("User is disabled."));
    }
    Ok((pool(cx, &pool_id)?, u))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TokenIn {
    access_token: String,
}

/// `UserMFASettingList` and `PreferredMfaSetting`, as GetUser and AdminGetUser show them.
pub fn mfa_wire(pool: &Pool, u: &UserRow, out: &mut Value) {
    let mfa = UserState::of(u).mfa;
    let enabled: Vec<&str> = Factor::ALL
        .into_iter()
        .filter(|f| f.on_pool(pool) && f.on_user(u, &mfa))
        .map(Factor::challenge)
        .collect();
    if !enabled.is_empty() {
        out["UserMFASettingList"] = json!(enabled);
    }
    if let Some(p) = mfa.preferred {
        out["PreferredMfaSetting"] = json!(p);
    }
}

pub fn get_user(cx: &Cognito, input: TokenIn) -> Result<Value> {
    let (pool, u) = signed_in(cx, &input.access_token)?;
    let mut out =
        json!({"Username": u.username, "UserAttributes": attributes::to_wire(&u.attributes, None)});
    mfa_wire(&pool, &u, &mut out);
    Ok(out)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SettingsIn {
    access_token: String,
    #[serde(rename = "MFAOptions")]
    mfa_options: Vec<Value>,
}

/// SetUserSettings (legacy SMS MFA, amazon-cognito-identity-js's `setUserMfaPreference`
/// predecessor): an `SMS` option on `phone_number` enables SMS MFA, an empty list disables it.
pub fn set_settings(cx: &Cognito, input: SettingsIn) -> Result<Value> {
    let (_, mut u) = signed_in(cx, &input.access_token)?;
    let sms = input
        .mfa_options
        .iter()
        .any(|o| o["DeliveryMedium"] == "SMS" && o["AttributeName"] == "phone_number");
    let mut state = UserState::of(&u);
    state.mfa.sms_enabled = sms;
    if !sms && state.mfa.preferred.as_deref() == Some("SMS_MFA") {
        state.mfa.preferred = None;
    }
    state.store_in(&mut u);
    u.modified = cx.clock.now_millis();
    cx.store.update_user(&u)?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangePasswordIn {
    previous_password: Option<String>,
    proposed_password: String,
    access_token: String,
}

pub fn change_password(cx: &Cognito, input: ChangePasswordIn) -> Result<Value> {
    let (pool, mut u) = signed_in(cx, &input.access_token)?;
    let mut state = UserState::of(&u);
    if let Some(current) = &state.password {
        let given = input.previous_password.as_deref().unwrap_or("");
        if !password::verify(current, given) {
            return Err(CognitoError::not_authorized(
                "Incorrect username or password.",
            ));
        }
    }
    password::check(&pool.password_policy(), &input.proposed_password)?;
    state.set_password(cx, &pool.id, &u.username, &input.proposed_password);
    state.store_in(&mut u);
    u.modified = cx.clock.now_millis();
    cx.store.update_user(&u)?;
    Ok(json!({}))
}

/// The attributes that verify by code, and their `_verified` flags.
const VERIFIABLE: [(&str, &str, Channel, &str); 2] = [
    ("email", "email_verified", Channel::Email, "EMAIL"),
    ("phone_number", "phone_number_verified", Channel::Sms, "SMS"),
];

fn kept_until_verified(pool: &Pool, name: &str) -> bool {
    pool.settings
        .get("UserAttributeUpdateSettings")
        .and_then(|s| s.get("AttributesRequireVerificationBeforeUpdate"))
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|v| v == name))
}

/// Send a verification code for `name` to `value` (a new email or phone number).
fn send_verification(cx: &Cognito, pool: &Pool, u: &mut UserRow, name: &str, value: &str) -> Value {
    let (_, _, channel, medium) = VERIFIABLE
        .into_iter()
        .find(|(n, ..)| *n == name)
        .unwrap_or(VERIFIABLE[0]);
    let code = cx.entropy.digits(6);
    let mut state = UserState::of(u);
    let expires = cx.clock.now_millis() + CODE_TTL_MILLIS;
    state.codes.insert(
        format!("verify:{name}"),
        PendingCode {
            code: code.clone(),
            expires,
        },
    );
    state.store_in(u);
    let body = format!("Your verification code is {code}");
    cx.outbox
        .send(channel, value, "VerifyUserAttribute", &pool.id, &code, body);
    json!({"Destination": mask(value), "DeliveryMedium": medium, "AttributeName": name})
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateIn {
    user_attributes: Vec<AttributeIn>,
    access_token: String,
}

/// UpdateUserAttributes: a changed email or phone number is unverified, and a code goes to
/// it when the pool verifies it automatically; with `AttributesRequireVerificationBeforeUpdate`
/// the old value stays (verified) until the new one is confirmed.
pub fn update_attributes(cx: &Cognito, input: UpdateIn) -> Result<Value> {
    let (pool, mut u) = signed_in(cx, &input.access_token)?;
    let mut now_applied = Vec::new();
    let mut pending = Vec::new();
    for a in input.user_attributes {
        let value = a.value.clone().unwrap_or_default();
        let verifiable = VERIFIABLE.iter().any(|(n, ..)| *n == a.name);
        if verifiable && u.attribute(&a.name) != Some(&value) && kept_until_verified(&pool, &a.name)
        {
            pending.push((a.name, value));
        } else {
            now_applied.push(a);
        }
    }
    attributes::validate(&pool, &now_applied)?;
    let before = u.clone();
    super::users::apply_updates(cx, &pool, &mut u, &now_applied)?;
    let auto = pool.auto_verified_attributes();
    let mut deliveries = Vec::new();
    for (name, ..) in VERIFIABLE {
        let Some(value) = u.attribute(name).map(str::to_owned) else {
            continue;
        };
        if before.attribute(name) != Some(&value) && auto.iter().any(|a| a == name) {
            deliveries.push(send_verification(cx, &pool, &mut u, name, &value));
        }
    }
    if !pending.is_empty() {
        let probe: Vec<(String, String)> = pending.clone();
        user::check_unique(cx, &pool, &probe, Some(u.id))?;
        let mut state = UserState::of(&u);
        state.pending.extend(pending.iter().cloned());
        state.store_in(&mut u);
        for (name, value) in &pending {
            deliveries.push(send_verification(cx, &pool, &mut u, name, value));
        }
    }
    u.modified = cx.clock.now_millis();
    cx.store.update_user(&u)?;
    let mut out = json!({});
    if !deliveries.is_empty() {
        out["CodeDeliveryDetailsList"] = json!(deliveries);
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeCodeIn {
    access_token: String,
    attribute_name: String,
}

pub fn attribute_verification_code(cx: &Cognito, input: AttributeCodeIn) -> Result<Value> {
    let (pool, mut u) = signed_in(cx, &input.access_token)?;
    let name = input.attribute_name.as_str();
    if !VERIFIABLE.iter().any(|(n, ..)| *n == name) {
        return Err(CognitoError::invalid(format!(
            "Attribute {name} cannot be verified: only email and phone_number are."
        )));
    }
    let value = UserState::of(&u)
        .pending
        .get(name)
        .cloned()
        .or_else(|| u.attribute(name).map(str::to_owned))
        .ok_or_else(|| {
            CognitoError::invalid(format!(
                "User does not have a value for the attribute: {name}"
            ))
        })?;
    let delivery = send_verification(cx, &pool, &mut u, name, &value);
    cx.store.update_user(&u)?;
    Ok(json!({"CodeDeliveryDetails": delivery}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyIn {
    access_token: String,
    attribute_name: String,
    code: String,
}

pub fn verify_attribute(cx: &Cognito, input: VerifyIn) -> Result<Value> {
    let (pool, mut u) = signed_in(cx, &input.access_token)?;
    let name = input.attribute_name.as_str();
    let Some((_, flag, ..)) = VERIFIABLE.into_iter().find(|(n, ..)| *n == name) else {
        return Err(CognitoError::invalid(format!(
            "Attribute {name} cannot be verified: only email and phone_number are."
        )));
    };
    let before = u.clone();
    take_code(cx, &mut u, &format!("verify:{name}"), &input.code)?;
    let mut state = UserState::of(&u);
    if let Some(value) = state.pending.remove(name) {
        user::check_unique(cx, &pool, &[(name.to_owned(), value.clone())], Some(u.id))?;
        attributes::upsert(&mut u.attributes, name, &value);
    }
    state.store_in(&mut u);
    attributes::upsert(&mut u.attributes, flag, "true");
    user::check_unique(cx, &pool, &u.attributes, Some(u.id))?;
    u.modified = cx.clock.now_millis();
    commit_taken(cx, &before, &u)?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteAttrsIn {
    access_token: String,
    user_attribute_names: Vec<String>,
}

pub fn delete_attributes(cx: &Cognito, input: DeleteAttrsIn) -> Result<Value> {
    let (pool, mut u) = signed_in(cx, &input.access_token)?;
    super::users::delete_attributes_of(cx, &pool, &mut u, &input.user_attribute_names)?;
    Ok(json!({}))
}

pub fn delete_user(cx: &Cognito, input: TokenIn) -> Result<Value> {
    let (_, u) = signed_in(cx, &input.access_token)?;
    cx.store.revoke_user_sessions(u.id, cx.clock.now_millis())?;
    cx.store.delete_user(u.id)?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminResetIn {
    user_pool_id: String,
    username: String,
}

/// AdminResetUserPassword: the password stops working (`RESET_REQUIRED`) and, when the user
/// has a verified email or phone number, a code for ConfirmForgotPassword is sent.
pub fn admin_reset_password(cx: &Cognito, input: AdminResetIn) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    let mut u = user::get(cx, &pool, &input.username)?;
    if u.status == "EXTERNAL_PROVIDER" {
        return Err(CognitoError::new(
            Exception::NotAuthorized,
            "Cannot reset password for a user of an external provider.",
        ));
    }
    if !u.enabled {
        return Err(CognitoError::not_authorized("User is disabled."));
    }
    // No verified destination: the reset still happens, the user gets no code (as Cognito).
    let _ = send_code(cx, &pool, &mut u, "ForgotPassword", 3600 * 1000, true);
    if u.status != "UNCONFIRMED" {
        u.status = "RESET_REQUIRED".into();
    }
    u.modified = cx.clock.now_millis();
    cx.store.update_user(&u)?;
    Ok(json!({}))
}
