//! SignUp, ConfirmSignUp, AdminConfirmSignUp, ResendConfirmationCode, ForgotPassword and
//! ConfirmForgotPassword: the self-service paths that send codes to the outbox.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::{Value, json};

use super::clients::client_by_id;
use super::pool;
use super::users::new_user;
use crate::cognito::attributes::{self, AttributeIn};
use crate::cognito::error::{CognitoError, Exception, Result};
use crate::cognito::model::{Client, Pool};
use crate::cognito::user::{self, PendingCode, UserState};
use crate::cognito::{Cognito, password, triggers};
use crate::outbox::Channel;
use crate::store::UserRow;

const SIGN_UP_CODE_MILLIS: i64 = 24 * 3_600_000;
const FORGOT_CODE_MILLIS: i64 = 3_600_000;

/// `SECRET_HASH` = Base64(HMAC-SHA256(client secret, username + client id)), for a client
/// with a secret. The hosted UI, which holds the app's secret as Cognito's does, sends it
/// with the operations its pages call.
pub fn secret_hash(client: &Client, username: &str) -> Option<String> {
    let secret = client.secret.as_ref()?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    Some(B64.encode(hmac::sign(
        &key,
        format!("{username}{}", client.client_id).as_bytes(),
    )))
}

/// Check a caller's `SECRET_HASH` (see [`secret_hash`]).
pub fn check_secret_hash(client: &Client, username: &str, secret_hash: Option<&str>) -> Result<()> {
    let Some(expected) = self::secret_hash(client, username) else {
        return Ok(());
    };
    let Some(given) = secret_hash else {
        return Err(CognitoError::not_authorized(format!(
            "Client {} is configured with secret but SECRET_HASH was not received",
            client.client_id
        )));
    };
    if expected != given {
        return Err(CognitoError::not_authorized(format!(
            "Unable to verify secret hash for client {}",
            client.client_id
        )));
    }
    Ok(())
}

/// `j***@e***` / `+*******4567`: how Cognito shows where a code went.
pub fn mask(destination: &str) -> String {
    if let Some((local, domain)) = destination.split_once('@') {
        let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
        return format!("{}***@{}***", first(local), first(domain));
    }
    let chars: Vec<char> = destination.chars().collect();
    let keep = chars.len().saturating_sub(4);
    let tail: String = chars[keep..].iter().collect();
    format!("+{}{tail}", "*".repeat(keep.saturating_sub(1)))
}

/// Send a code for `purpose` to the user's email (preferred) or phone; keep it pending.
pub fn send_code(
    cx: &Cognito,
    pool: &Pool,
    u: &mut UserRow,
    purpose: &str,
    ttl: i64,
    verified_only: bool,
) -> Result<Value> {
    let target = [
        ("email", Channel::Email, "EMAIL"),
        ("phone_number", Channel::Sms, "SMS"),
    ]
    .into_iter()
    .find(|(attr, _, _)| {
        u.attribute(attr).is_some_and(|v| !v.is_empty())
            && (!verified_only || u.attribute(&format!("{attr}_verified")) == Some("true"))
    });
    let Some((attr, channel, medium)) = target else {
        return Err(CognitoError::invalid(
            "Cannot reset password for the user as there is no registered/verified email or phone_number",
        ));
    };
    let destination = u.attribute(attr).unwrap_or_default().to_owned();
    let code = cx.entropy.digits(6);
    let mut state = UserState::of(u);
    state.codes.insert(
        purpose.to_owned(),
        PendingCode {
            code: code.clone(),
            expires: cx.clock.now_millis() + ttl,
        },
    );
    state.store_in(u);
    let body = format!("Your verification code is {code}");
    cx.outbox
        .send(channel, &destination, purpose, &pool.id, &code, body);
    Ok(json!({"Destination": mask(&destination), "DeliveryMedium": medium, "AttributeName": attr}))
}

/// Writes `after`, a user whose code `take_code` consumed, unless a concurrent request changed
/// the user since it was read as `before` (it used the same code): then the code is gone.
pub fn commit_taken(cx: &Cognito, before: &UserRow, after: &UserRow) -> Result<()> {
    if cx.store.update_user_if_unchanged(before, after)? {
        return Ok(());
    }
    Err(CognitoError::new(
        Exception::ExpiredCode,
        "Invalid code provided, please request a code again.",
    ))
}

/// Consume a pending code: the code must match and be unexpired; it is then gone (once the
/// caller writes the user with [`commit_taken`]).
pub fn take_code(cx: &Cognito, u: &mut UserRow, purpose: &str, given: &str) -> Result<()> {
    let mut state = UserState::of(u);
    let Some(pending) = state.codes.get(purpose) else {
        return Err(CognitoError::new(
            Exception::ExpiredCode,
            "Invalid code provided, please request a code again.",
        ));
    };
    if pending.code != given {
        return Err(CognitoError::new(
            Exception::CodeMismatch,
            "Invalid verification code provided, please try again.",
        ));
    }
    if pending.expires < cx.clock.now_millis() {
        return Err(CognitoError::new(
            Exception::ExpiredCode,
            "Invalid code provided, please request a code again.",
        ));
    }
    state.codes.remove(purpose);
    state.store_in(u);
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignUpIn {
    client_id: String,
    secret_hash: Option<String>,
    username: String,
    password: String,
    #[serde(default)]
    user_attributes: Vec<AttributeIn>,
}

/// SignUp: validated first, then PreSignUp (its answer may confirm the user and verify
/// contacts), then one write; PostConfirmation when the user was confirmed.
pub async fn sign_up(cx: &Cognito, input: SignUpIn, flow: &str) -> Result<Value> {
    let client = client_by_id(cx, &input.client_id)?;
    let pool = pool(cx, &client.pool_id)?;
    check_secret_hash(&client, &input.username, input.secret_hash.as_deref())?;
    if pool.admin_create_user_only() {
        // Cognito's wording for a pool with AllowAdminCreateUserOnly, as reported by users of
        // the API (the service model names only the exception).
        return Err(CognitoError::not_authorized(
            "SignUp is not permitted for this user pool",
        ));
    }
    password::check(&pool.password_policy(), &input.password)?;
    let mut u = new_user(
        cx,
        &pool,
        &input.username,
        &input.user_attributes,
        "UNCONFIRMED",
    )
    .map_err(|e| {
        if e.exception == Exception::UsernameExists {
            CognitoError::new(Exception::UsernameExists, "User already exists")
        } else {
            e
        }
    })?;
    attributes::check_required(&pool, &u.attributes)?;
    user::check_unique(cx, &pool, &u.attributes, None)?;
    let given = attributes::pairs(&input.user_attributes);
    let answer = triggers::pre_sign_up(
        cx,
        &pool,
        Some(&client.client_id),
        "PreSignUp_SignUp",
        &input.username,
        &given,
        flow,
    )
    .await
    .map_err(|e| e.api_error("PreSignUp"))?;
    answer.apply(&mut u.attributes);
    let mut state = UserState::of(&u);
    state.set_password(cx, &pool.id, &u.username, &input.password);
    state.store_in(&mut u);
    let verify = pool.auto_verified_attributes();
    let delivery = if answer.auto_confirm_user {
        u.status = "CONFIRMED".into();
        None
    } else if verify.iter().any(|a| u.attribute(a).is_some()) {
        Some(send_code(
            cx,
            &pool,
            &mut u,
            "SignUp",
            SIGN_UP_CODE_MILLIS,
            false,
        )?)
    } else {
        None
    };
    let u = cx
        .store
        .insert_user(u)
        .map_err(|_| CognitoError::new(Exception::UsernameExists, "User already exists"))?;
    let mut out = json!({"UserConfirmed": answer.auto_confirm_user, "UserSub": u.sub});
    if let Some(d) = delivery {
        out["CodeDeliveryDetails"] = d;
    }
    if answer.auto_confirm_user {
        post_confirmation(cx, &pool, Some(&client.client_id), &u, flow).await?;
    }
    Ok(out)
}

/// PostConfirmation_ConfirmSignUp after a user was confirmed. The user stays confirmed if
/// the handler fails; the caller gets the handler's error, as in Cognito.
async fn post_confirmation(
    cx: &Cognito,
    pool: &Pool,
    client_id: Option<&str>,
    u: &UserRow,
    flow: &str,
) -> Result<()> {
    triggers::post_confirmation(cx, pool, client_id, u, flow)
        .await
        .map_err(|e| e.api_error("PostConfirmation"))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfirmIn {
    client_id: String,
    secret_hash: Option<String>,
    username: String,
    confirmation_code: String,
}

/// Mark the attribute a code was sent to as verified.
fn verify_contact(u: &mut UserRow) {
    let attr = if u.attribute("email").is_some() {
        "email_verified"
    } else {
        "phone_number_verified"
    };
    attributes::upsert(&mut u.attributes, attr, "true");
}

pub async fn confirm(cx: &Cognito, input: ConfirmIn, flow: &str) -> Result<Value> {
    let client = client_by_id(cx, &input.client_id)?;
    let pool = pool(cx, &client.pool_id)?;
    check_secret_hash(&client, &input.username, input.secret_hash.as_deref())?;
    let Some(mut u) = find_or_hide(cx, &pool, &client, &input.username)? else {
        return Err(hidden_user_code());
    };
    if u.status != "UNCONFIRMED" {
        return Err(CognitoError::not_authorized(format!(
            "User cannot be confirmed. Current status is {}",
            u.status
        )));
    }
    let before = u.clone();
    take_code(cx, &mut u, "SignUp", &input.confirmation_code)?;
    verify_contact(&mut u);
    u.status = "CONFIRMED".into();
    u.modified = cx.clock.now_millis();
    commit_taken(cx, &before, &u)?;
    post_confirmation(cx, &pool, Some(&client.client_id), &u, flow).await?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminConfirmIn {
    user_pool_id: String,
    username: String,
}

pub async fn admin_confirm(cx: &Cognito, input: AdminConfirmIn, flow: &str) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    let mut u = user::get(cx, &pool, &input.username)?;
    if u.status != "UNCONFIRMED" {
        return Err(CognitoError::not_authorized(format!(
            "User cannot be confirmed. Current status is {}",
            u.status
        )));
    }
    u.status = "CONFIRMED".into();
    u.modified = cx.clock.now_millis();
    cx.store.update_user(&u)?;
    post_confirmation(cx, &pool, None, &u, flow).await?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UsernameIn {
    client_id: String,
    secret_hash: Option<String>,
    username: String,
}

/// The user `username` names, for the operations a client calls with its id (ForgotPassword,
/// ConfirmForgotPassword, ResendConfirmationCode, ConfirmSignUp): an unknown user is AWS's
/// `UserNotFoundException: Username/client id combination not found.`, or, for a client that
/// prevents user existence errors, `Ok(None)` (the caller answers as for a known one).
fn find_or_hide(
    cx: &Cognito,
    pool: &Pool,
    client: &Client,
    username: &str,
) -> Result<Option<UserRow>> {
    match user::get(cx, pool, username) {
        Ok(u) => Ok(Some(u)),
        Err(e) if e.exception == Exception::UserNotFound => {
            match client.prevents_user_existence_errors() {
                true => Ok(None),
                false => Err(CognitoError::new(
                    Exception::UserNotFound,
                    "Username/client id combination not found.",
                )),
            }
        }
        Err(e) => Err(e),
    }
}

/// What ForgotPassword and ResendConfirmationCode answer for an unknown user when the client
/// prevents user existence errors: "a code was sent to a simulated delivery medium" (AWS's
/// words); nothing is sent.
fn simulated_delivery(username: &str) -> Value {
    let (medium, attribute) = match username.contains('@') {
        true => ("EMAIL", "email"),
        false => ("SMS", "phone_number"),
    };
    json!({"CodeDeliveryDetails": {"Destination": mask(username), "DeliveryMedium": medium, "AttributeName": attribute}})
}

/// What ConfirmSignUp and ConfirmForgotPassword answer for an unknown user when the client
/// prevents user existence errors. AWS documents that the answer must not reveal the user,
/// not which error it is; a wrong code's is the one an unknown user cannot be told from.
fn hidden_user_code() -> CognitoError {
    CognitoError::new(
        Exception::CodeMismatch,
        "Invalid verification code provided, please try again.",
    )
}

pub fn resend(cx: &Cognito, input: UsernameIn) -> Result<Value> {
    let client = client_by_id(cx, &input.client_id)?;
    let pool = pool(cx, &client.pool_id)?;
    check_secret_hash(&client, &input.username, input.secret_hash.as_deref())?;
    let Some(mut u) = find_or_hide(cx, &pool, &client, &input.username)? else {
        return Ok(simulated_delivery(&input.username));
    };
    if u.status != "UNCONFIRMED" {
        return Err(CognitoError::invalid("User is already confirmed."));
    }
    let delivery = send_code(cx, &pool, &mut u, "SignUp", SIGN_UP_CODE_MILLIS, false)?;
    cx.store.update_user(&u)?;
    Ok(json!({"CodeDeliveryDetails": delivery}))
}

pub fn forgot_password(cx: &Cognito, input: UsernameIn) -> Result<Value> {
    let client = client_by_id(cx, &input.client_id)?;
    let pool = pool(cx, &client.pool_id)?;
    check_secret_hash(&client, &input.username, input.secret_hash.as_deref())?;
    let Some(mut u) = find_or_hide(cx, &pool, &client, &input.username)? else {
        return Ok(simulated_delivery(&input.username));
    };
    if u.status == "EXTERNAL_PROVIDER" {
        return Err(CognitoError::not_authorized(
            "User is not authorized to reset the password: external provider user.",
        ));
    }
    let delivery = send_code(
        cx,
        &pool,
        &mut u,
        "ForgotPassword",
        FORGOT_CODE_MILLIS,
        true,
    )?;
    cx.store.update_user(&u)?;
    Ok(json!({"CodeDeliveryDetails": delivery}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfirmForgotIn {
    client_id: String,
    secret_hash: Option<String>,
    username: String,
    confirmation_code: String,
    password: String,
}

pub fn confirm_forgot_password(cx: &Cognito, input: ConfirmForgotIn) -> Result<Value> {
    let client = client_by_id(cx, &input.client_id)?;
    let pool = pool(cx, &client.pool_id)?;
    check_secret_hash(&client, &input.username, input.secret_hash.as_deref())?;
    let Some(mut u) = find_or_hide(cx, &pool, &client, &input.username)? else {
        return Err(hidden_user_code());
    };
    password::check(&pool.password_policy(), &input.password)?;
    let before = u.clone();
    take_code(cx, &mut u, "ForgotPassword", &input.confirmation_code)?;
    let mut state = UserState::of(&u);
    state.set_password(cx, &pool.id, &u.username, &input.password);
    state.temporary_expires = None;
    state.store_in(&mut u);
    u.status = "CONFIRMED".into();
    u.modified = cx.clock.now_millis();
    commit_taken(cx, &before, &u)?;
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn destinations_are_masked() {
        assert_eq!(mask("jane@example.com"), "j***@e***");
        assert_eq!(mask("+15551234567"), "+*******4567");
        assert_eq!(mask("+1é"), "++1é", "never slices inside a character");
    }
}
