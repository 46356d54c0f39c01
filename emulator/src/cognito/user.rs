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
    /// Pending codes by purpose (`SignUp`, `ForgotPassword`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub codes: BTreeMap<String, PendingCode>,
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
        let taken = cx
            .store
            .users_by_attribute(&pool.id, name, value)?
            .into_iter()
            .any(|u| {
                Some(u.id) != except
                    && (is_username_attr
                        || name == "preferred_username"
                        || u.attribute(&format!("{name}_verified")) == Some("true"))
            });
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
