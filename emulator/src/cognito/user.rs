//! Users as the pool sees them: resolution by username or alias, uniqueness rules, the
//! per-user state the store keeps opaque, and the wire shape of a user.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Cognito;
use super::api::pools::secs;
use super::attributes;
use super::error::{CognitoError, Exception, Result};
use super::model::Pool;
use crate::store::UserRow;

/// What the pool keeps per user beyond attributes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// When a temporary password stops working (AdminCreateUser), epoch millis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary_expires: Option<i64>,
    /// Pending codes by purpose (`SignUp`, `ForgotPassword`, `verify:email`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub codes: BTreeMap<String, PendingCode>,
    /// The SRP verifier of the password (`USER_SRP_AUTH`), made whenever a password is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srp: Option<SrpVerifier>,
    /// MFA methods the user set up and prefers.
    #[serde(default, skip_serializing_if = "MfaSettings::is_empty")]
    pub mfa: MfaSettings,
    /// New values of attributes that change only once verified (the pool's
    /// `AttributesRequireVerificationBeforeUpdate`): the old value stays until then.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending: BTreeMap<String, String>,
}

/// `v = g^x` and its salt, hex: what SRP needs instead of the password.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SrpVerifier {
    pub salt: String,
    pub verifier: String,
}

/// A user's MFA set-up. TOTP is usable once verified (VerifySoftwareToken).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaSettings {
    /// Base32 secret of a verified authenticator app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_secret: Option<String>,
    /// Base32 secret handed out by AssociateSoftwareToken, not yet verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_pending: Option<String>,
    /// The last TOTP time step accepted: a code is single use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_last_step: Option<i64>,
    #[serde(default)]
    pub totp_enabled: bool,
    #[serde(default)]
    pub sms_enabled: bool,
    #[serde(default)]
    pub email_enabled: bool,
    /// `SOFTWARE_TOKEN_MFA`, `SMS_MFA` or `EMAIL_OTP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred: Option<String>,
}

impl MfaSettings {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingCode {
    pub code: String,
    pub expires: i64,
}

impl UserState {
    pub fn of(user: &UserRow) -> Self {
        serde_json::from_value(user.doc.clone()).unwrap_or_default()
    }
    pub fn store_in(&self, user: &mut UserRow) {
        user.doc = serde_json::to_value(self).unwrap_or(Value::Null);
    }

    /// Set a password: its PBKDF2 hash for USER_PASSWORD_AUTH and the hosted UI, and its SRP
    /// verifier (bound to the pool and the internal username) for USER_SRP_AUTH. Never the
    /// password itself.
    pub fn set_password(&mut self, cx: &Cognito, pool_id: &str, username: &str, password: &str) {
        self.password = Some(super::password::hash(&cx.entropy, password));
        let group = super::signin::srp::Group::default();
        let salt = cx.entropy.bytes::<16>();
        let v = group.verifier(
            &salt,
            super::signin::srp::pool_name(pool_id),
            username,
            password,
        );
        self.srp = Some(SrpVerifier {
            salt: v.salt.to_str_radix(16),
            verifier: v.v.to_str_radix(16),
        });
    }
}

/// Find a user by what a caller calls their username: the username itself, or, depending on
/// the pool, an email or phone number that signs in in its place (UsernameAttributes), or a
/// verified alias (AliasAttributes).
pub fn find(cx: &Cognito, pool: &Pool, username: &str) -> Result<Option<UserRow>> {
    if let Some(u) = cx
        .store
        .user_by_username(&pool.id, &pool.username_key(username))?
    {
        return Ok(Some(u));
    }
    let as_attribute = if attributes::is_email(username) {
        "email"
    } else if attributes::is_phone(username) {
        "phone_number"
    } else {
        "preferred_username"
    };
    let signs_in = pool.username_attributes().iter().any(|a| a == as_attribute)
        || pool.alias_attributes().iter().any(|a| a == as_attribute);
    if signs_in && folds(pool, as_attribute) {
        // Any capitalisation finds the user: the uniqueness index holds the lower-cased value
        // of a username attribute, and of an alias once it counts (verified email).
        return Ok(cx
            .store
            .user_holding(&pool.id, as_attribute, &username.to_lowercase())?);
    }
    if pool.username_attributes().iter().any(|a| a == as_attribute) {
        return Ok(cx
            .store
            .users_by_attribute(&pool.id, as_attribute, username)?
            .into_iter()
            .next());
    }
    if pool.alias_attributes().iter().any(|a| a == as_attribute) {
        let verified = |u: &UserRow| match as_attribute {
            "preferred_username" => true,
            a => u.attribute(&format!("{a}_verified")) == Some("true"),
        };
        return Ok(cx
            .store
            .users_by_attribute(&pool.id, as_attribute, username)?
            .into_iter()
            .find(verified));
    }
    Ok(None)
}

/// A `sub` no user of the pool has: drawn from the injected source and checked in the store,
/// so even a replayed random stream cannot make a new user collide with an old one.
pub fn fresh_sub(cx: &Cognito, pool: &Pool) -> Result<String> {
    for _ in 0..8 {
        let sub = cx.entropy.uuid();
        if cx.store.user_by_sub(&pool.id, &sub)?.is_none() {
            return Ok(sub);
        }
    }
    Err(CognitoError::internal(
        "could not draw an unused sub: the random source repeats itself",
    ))
}

/// Whether values of `attribute` compare without regard to case in `pool`: email and
/// preferred_username in a case-insensitive pool (phone numbers have no case).
pub fn folds(pool: &Pool, attribute: &str) -> bool {
    !pool.username_case_sensitive() && matches!(attribute, "email" | "preferred_username")
}

/// Like [`find`], failing with `UserNotFoundException`.
pub fn get(cx: &Cognito, pool: &Pool, username: &str) -> Result<UserRow> {
    find(cx, pool, username)?.ok_or_else(CognitoError::user_not_found)
}

/// Refuse attribute values another user already holds where the pool requires uniqueness:
/// username attributes always, aliases once verified.
pub fn check_unique(
    cx: &Cognito,
    pool: &Pool,
    attrs: &[(String, String)],
    except: Option<i64>,
) -> Result<()> {
    for name in ["email", "phone_number", "preferred_username"] {
        let Some((_, value)) = attrs.iter().find(|(n, _)| n == name) else {
            continue;
        };
        let is_username_attr = pool.username_attributes().iter().any(|a| a == name);
        let is_alias = pool.alias_attributes().iter().any(|a| a == name);
        if !is_username_attr && !is_alias {
            continue;
        }
        let taken = if folds(pool, name) {
            // The uniqueness index holds exactly the values that count, lower-cased.
            let holder = cx
                .store
                .user_holding(&pool.id, name, &value.to_lowercase())?;
            holder.is_some_and(|u| Some(u.id) != except)
        } else {
            cx.store
                .users_by_attribute(&pool.id, name, value)?
                .into_iter()
                .any(|u| {
                    Some(u.id) != except
                        && (is_username_attr
                            || name == "preferred_username"
                            || u.attribute(&format!("{name}_verified")) == Some("true"))
                })
        };
        if taken {
            let what = if name == "phone_number" {
                "phone_number"
            } else {
                name
            };
            return Err(if is_username_attr {
                CognitoError::new(
                    Exception::UsernameExists,
                    format!("An account with the given {what} already exists."),
                )
            } else {
                CognitoError::new(
                    Exception::AliasExists,
                    format!("An account with the {what} already exists."),
                )
            });
        }
    }
    Ok(())
}

/// The username a new user gets. Pools with UsernameAttributes identify users by email or
/// phone: the caller's "username" must be one, and the stored username is the new `sub`.
pub fn new_username(
    pool: &Pool,
    given: &str,
    sub: &str,
    attrs: &mut Vec<(String, String)>,
) -> Result<String> {
    let username_attrs = pool.username_attributes();
    if username_attrs.is_empty() {
        if given.is_empty() || given.chars().count() > 128 || given.chars().any(char::is_whitespace)
        {
            return Err(CognitoError::validation(
                "username",
                "'***'",
                "Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+",
            ));
        }
        if attributes::is_email(given) && pool.alias_attributes().iter().any(|a| a == "email") {
            return Err(CognitoError::invalid(
                "Username cannot be of email format, since user pool is configured for email alias.",
            ));
        }
        return Ok(given.to_owned());
    }
    let attr = if attributes::is_email(given) && username_attrs.iter().any(|a| a == "email") {
        "email"
    } else if attributes::is_phone(given) && username_attrs.iter().any(|a| a == "phone_number") {
        "phone_number"
    } else {
        let what = username_attrs
            .join(" or ")
            .replace("phone_number", "phone number");
        return Err(CognitoError::invalid(format!(
            "Username should be an {what}."
        )));
    };
    attributes::upsert(attrs, attr, given);
    Ok(sub.to_owned())
}

/// `UserType` as ListUsers and AdminCreateUser return it.
pub fn to_wire(user: &UserRow, only: Option<&[String]>) -> Value {
    json!({
        "Username": user.username,
        "Attributes": attributes::to_wire(&user.attributes, only),
        "UserCreateDate": secs(user.created),
        "UserLastModifiedDate": secs(user.modified),
        "Enabled": user.enabled,
        "UserStatus": user.status,
    })
}
