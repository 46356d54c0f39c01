//! The AWS JSON 1.1 protocol: `X-Amz-Target` decoded once into an [`Operation`], the body
//! decoded into the operation's input type, errors mapped to `{"__type", "message"}`.

pub mod account;
mod auth;
pub mod clients;
pub mod devices;
pub mod groups;
pub mod idps;
mod links;
pub mod mfa;
pub mod pools;
pub mod signup;
pub mod users;
pub mod webauthn;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Cognito;
use super::error::{CognitoError, Exception, Result};

pub const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";

macro_rules! operations {
    (
        sync { $($name:ident => $module:ident::$func:ident),* $(,)? }
        async { $($aname:ident => $amodule:ident::$afunc:ident),* $(,)? }
    ) => {
        /// Every operation the emulator implements.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Operation { $($name,)* $($aname,)* }

        impl Operation {
            pub const ALL: &'static [Operation] = &[$(Operation::$name,)* $(Operation::$aname,)*];

            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$name => stringify!($name),)*
                    $(Operation::$aname => stringify!($aname),)*
                }
            }

            /// Run a synchronous operation on a decoded JSON body (built-in trigger handlers
            /// call these); the sign-in operations, which run triggers, only through [`run`].
            ///
            /// [`run`]: Operation::run
            pub fn call(self, cx: &Cognito, body: Value) -> Result<Value> {
                match self {
                    $(Operation::$name => $module::$func(cx, decode(body)?),)*
                    _ => Err(CognitoError::internal(format!(
                        "{} runs triggers: call it through Operation::run",
                        self.name()
                    ))),
                }
            }

            /// Run any operation; `flow` is the journal flow its triggers join.
            pub async fn run(self, cx: &Cognito, body: Value, flow: &str) -> Result<Value> {
                match self {
                    $(Operation::$aname => $amodule::$afunc(cx, decode(body)?, flow).await,)*
                    _ => self.call(cx, body),
                }
            }
        }
    };
}

operations! {
    sync {
        CreateUserPool => pools::create,
        DescribeUserPool => pools::describe,
        ListUserPools => pools::list,
        UpdateUserPool => pools::update,
        DeleteUserPool => pools::delete,
        AddCustomAttributes => pools::add_custom_attributes,
        CreateUserPoolDomain => pools::create_domain,
        DescribeUserPoolDomain => pools::describe_domain,
        DeleteUserPoolDomain => pools::delete_domain,
        CreateUserPoolClient => clients::create,
        DescribeUserPoolClient => clients::describe,
        ListUserPoolClients => clients::list,
        UpdateUserPoolClient => clients::update,
        DeleteUserPoolClient => clients::delete,
        CreateIdentityProvider => idps::create,
        DescribeIdentityProvider => idps::describe,
        ListIdentityProviders => idps::list,
        UpdateIdentityProvider => idps::update,
        DeleteIdentityProvider => idps::delete,
        GetIdentityProviderByIdentifier => idps::by_identifier,
        CreateResourceServer => idps::create_resource_server,
        DescribeResourceServer => idps::describe_resource_server,
        ListResourceServers => idps::list_resource_servers,
        DeleteResourceServer => idps::delete_resource_server,
        AdminGetUser => users::admin_get,
        AdminDeleteUser => users::admin_delete,
        AdminUpdateUserAttributes => users::admin_update_attributes,
        AdminDeleteUserAttributes => users::admin_delete_attributes,
        AdminDisableUser => users::admin_disable,
        AdminEnableUser => users::admin_enable,
        AdminSetUserPassword => users::admin_set_password,
        ListUsers => users::list,
        ResendConfirmationCode => signup::resend,
        ForgotPassword => signup::forgot_password,
        ConfirmForgotPassword => signup::confirm_forgot_password,
        CreateGroup => groups::create,
        GetGroup => groups::get,
        ListGroups => groups::list,
        DeleteGroup => groups::delete,
        AdminAddUserToGroup => groups::add_user,
        AdminRemoveUserFromGroup => groups::remove_user,
        AdminListGroupsForUser => groups::groups_for_user,
        ListUsersInGroup => groups::users_in_group,
        AdminLinkProviderForUser => links::link,
        AdminDisableProviderForUser => links::disable,
        GetUser => account::get_user,
        ChangePassword => account::change_password,
        SetUserSettings => account::set_settings,
        UpdateUserAttributes => account::update_attributes,
        GetUserAttributeVerificationCode => account::attribute_verification_code,
        VerifyUserAttribute => account::verify_attribute,
        DeleteUserAttributes => account::delete_attributes,
        DeleteUser => account::delete_user,
        AdminResetUserPassword => account::admin_reset_password,
        ConfirmDevice => devices::confirm,
        GetDevice => devices::get,
        ListDevices => devices::list,
        UpdateDeviceStatus => devices::update_status,
        ForgetDevice => devices::forget,
        AdminGetDevice => devices::admin_get,
        AdminListDevices => devices::admin_list,
        AdminUpdateDeviceStatus => devices::admin_update_status,
        AdminForgetDevice => devices::admin_forget,
        StartWebAuthnRegistration => webauthn::start,
        CompleteWebAuthnRegistration => webauthn::complete,
        ListWebAuthnCredentials => webauthn::list,
        DeleteWebAuthnCredential => webauthn::delete,
        SetUserPoolMfaConfig => mfa::set_pool_config,
        GetUserPoolMfaConfig => mfa::get_pool_config,
        AssociateSoftwareToken => mfa::associate,
        VerifySoftwareToken => mfa::verify,
        SetUserMFAPreference => mfa::set_preference,
        AdminSetUserMFAPreference => mfa::admin_set_preference,
        GlobalSignOut => auth::global_sign_out,
        AdminUserGlobalSignOut => auth::admin_global_sign_out,
        RevokeToken => auth::revoke_token,
    }
    async {
        AdminCreateUser => users::admin_create,
        SignUp => signup::sign_up,
        ConfirmSignUp => signup::confirm,
        AdminConfirmSignUp => signup::admin_confirm,
        InitiateAuth => auth::initiate,
        AdminInitiateAuth => auth::admin_initiate,
        RespondToAuthChallenge => auth::respond,
        AdminRespondToAuthChallenge => auth::admin_respond,
        GetTokensFromRefreshToken => auth::tokens_from_refresh,
    }
}

impl Operation {
    /// Decode `X-Amz-Target`.
    pub fn from_target(target: &str) -> std::result::Result<Self, CognitoError> {
        let name = target.strip_prefix(TARGET_PREFIX).unwrap_or("");
        Self::ALL
            .iter()
            .copied()
            .find(|op| op.name() == name)
            .ok_or_else(|| {
                CognitoError::new(
                    Exception::UnknownOperation,
                    format!("Operation {target:?} is not supported."),
                )
            })
    }
}

/// Decode an operation's input. Missing required members get AWS's validation wording; wrong
/// types are a `SerializationException`, as AWS answers them.
fn decode<T: DeserializeOwned>(body: Value) -> Result<T> {
    serde_json::from_value(body).map_err(|e| {
        let text = e.to_string();
        match text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(field) => {
                CognitoError::validation(&lower_camel(field), "null", "Member must not be null")
            }
            None => CognitoError::new(Exception::Serialization, text),
        }
    })
}

/// `UserPoolId` -> `userPoolId`: how AWS names members in validation messages.
pub fn lower_camel(field: &str) -> String {
    let mut chars = field.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Check an optional `Limit`/`MaxResults` against `1..=max` (or `0..=max`), AWS style.
pub fn check_limit(
    member: &str,
    value: Option<i64>,
    min: i64,
    max: i64,
    default: i64,
) -> Result<usize> {
    let n = value.unwrap_or(default);
    if n < min {
        return Err(CognitoError::validation(
            member,
            &n.to_string(),
            &format!("Member must have value greater than or equal to {min}"),
        ));
    }
    if n > max {
        return Err(CognitoError::validation(
            member,
            &n.to_string(),
            &format!("Member must have value less than or equal to {max}"),
        ));
    }
    Ok(n as usize)
}

/// Opaque pagination tokens: the id of the last item returned, base64url-encoded.
pub mod page_token {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    use crate::cognito::error::{CognitoError, Result};

    pub fn encode(after: i64) -> String {
        B64.encode(format!("after:{after}"))
    }

    /// The position a token continues after; never negative, so callers may add to it.
    pub fn decode(token: Option<&str>) -> Result<i64> {
        let Some(token) = token else { return Ok(0) };
        B64.decode(token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("after:").and_then(|n| n.parse::<i64>().ok()))
            .filter(|n| *n >= 0)
            .ok_or_else(|| CognitoError::invalid("Invalid pagination token."))
    }
}

/// One page of a short list (clients, providers, groups...) as `{key: [...], "NextToken"?}`;
/// the token counts the items already returned.
pub fn paged<T>(
    items: &[T],
    key: &str,
    token: Option<&str>,
    max: usize,
    wire: impl Fn(&T) -> Value,
) -> Result<Value> {
    let after = page_token::decode(token)? as usize;
    let page: Vec<Value> = items.iter().skip(after).take(max).map(wire).collect();
    let mut out = serde_json::json!({ key: page });
    if after.saturating_add(max) < items.len() {
        out["NextToken"] = serde_json::json!(page_token::encode((after + max) as i64));
    }
    Ok(out)
}

/// Resolve a pool or fail with `ResourceNotFoundException`.
pub fn pool(cx: &Cognito, pool_id: &str) -> Result<super::model::Pool> {
    cx.store
        .get(pool_id, "")
        .map_err(CognitoError::from)?
        .ok_or_else(|| CognitoError::pool_not_found(pool_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_decode_to_operations() {
        let op = Operation::from_target("AWSCognitoIdentityProviderService.ListUsers").unwrap();
        assert_eq!(op, Operation::ListUsers);
        let err = Operation::from_target("AWSCognitoIdentityProviderService.Nope").unwrap_err();
        assert_eq!(err.exception, Exception::UnknownOperation);
        assert!(Operation::from_target("ListUsers").is_err());
    }

    #[test]
    fn missing_members_use_aws_wording() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        #[allow(dead_code)]
        struct In {
            user_pool_id: String,
        }
        let err = decode::<In>(serde_json::json!({})).unwrap_err();
        assert_eq!(err.exception, Exception::InvalidParameter);
        assert!(
            err.message.contains("Value null at 'userPoolId'"),
            "{}",
            err.message
        );
        let err = decode::<In>(serde_json::json!({"UserPoolId": 5})).unwrap_err();
        assert_eq!(err.exception, Exception::Serialization);
    }

    #[test]
    fn page_tokens_round_trip_and_reject_garbage() {
        assert_eq!(
            page_token::decode(Some(&page_token::encode(42))).unwrap(),
            42
        );
        assert!(page_token::decode(Some("!!")).is_err());
        // A forged negative position would overflow `after + limit` in the list operations.
        assert!(page_token::decode(Some(&page_token::encode(-1))).is_err());
        assert_eq!(page_token::decode(None).unwrap(), 0);
    }
}
