//! The user pool's one sign-in core. Every way into the pool with a password or a challenge
//! (InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge and its admin twin, the hosted
//! `/login`) goes through [`SignIn`]: find the user, run PreAuthentication, check the first
//! factor (password, SRP, custom challenge), then the user's status, then MFA, then
//! PostAuthentication and pre token generation. Each step answers [`Next`]: authenticated, or
//! the next challenge with its single-use session.

pub mod challenges;
pub mod custom;
pub mod devices;
pub mod mfa;
pub mod session;
pub mod srp;
pub mod totp;
pub mod user_auth;

use serde_json::{Map, Value, json};

use super::Cognito;
use super::error::{CognitoError, Exception, Result};
use super::model::{Client, Pool};
use super::password;
use super::tokens::{self, Grant};
use super::triggers::{self, TriggerError};
use super::user::{self, UserState};
use crate::store::UserRow;
use session::AuthSession;

/// The scope of tokens from the JSON API's sign-ins.
pub const ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

/// A user's `UserStatus`, as far as signing in cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Unconfirmed,
    Confirmed,
    ForceChangePassword,
    ResetRequired,
    ExternalProvider,
    /// Any other (ARCHIVED, COMPROMISED, UNKNOWN): cannot sign in.
    Other,
}

impl UserStatus {
    pub fn of(user: &UserRow) -> Self {
        match user.status.as_str() {
            "UNCONFIRMED" => Self::Unconfirmed,
            "CONFIRMED" => Self::Confirmed,
            "FORCE_CHANGE_PASSWORD" => Self::ForceChangePassword,
            "RESET_REQUIRED" => Self::ResetRequired,
            "EXTERNAL_PROVIDER" => Self::ExternalProvider,
            _ => Self::Other,
        }
    }
}

/// A challenge for the client: its name, parameters, and the session that answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Challenge {
    pub name: String,
    pub parameters: Map<String, Value>,
    pub session: Option<String>,
    /// `AvailableChallenges` of a `SELECT_CHALLENGE` (USER_AUTH).
    pub available: Vec<String>,
}

/// Where a sign-in stands after a step.
#[derive(Debug)]
pub enum Next {
    /// Every factor passed: tokens (the API) or an authorization code (the hosted UI) follow.
    Authenticated(UserRow),
    Challenge(Challenge),
}

/// A trigger's failure as the JSON API reports it (the message is already Cognito's).
pub fn lambda_error(e: TriggerError) -> CognitoError {
    let exception = if e.handler_error {
        Exception::UserLambdaValidation
    } else {
        Exception::UnexpectedLambda
    };
    CognitoError::new(exception, e.message)
}

/// Challenge and auth parameters as the API carries them.
pub type Params = std::collections::HashMap<String, String>;

/// A required parameter, or Cognito's `Missing required parameter NAME`.
pub fn param<'p>(p: &'p Params, name: &str) -> Result<&'p str> {
    p.get(name)
        .map(String::as_str)
        .ok_or_else(|| CognitoError::invalid(format!("Missing required parameter {name}")))
}

fn wrong_password() -> CognitoError {
    CognitoError::not_authorized("Incorrect username or password.")
}

/// A sign-in for one app client; `flow` is the journal's flow id (triggers join it).
#[derive(Debug)]
pub struct SignIn<'a> {
    pub cx: &'a Cognito,
    pub pool: Pool,
    pub client: Client,
    pub flow: &'a str,
    /// The remembered device this sign-in proved itself with (DEVICE_PASSWORD_VERIFIER).
    /// A `std::sync::Mutex`: never held across an `.await`.
    device: std::sync::Mutex<Option<String>>,
}

impl<'a> SignIn<'a> {
    pub fn new(cx: &'a Cognito, client: Client, flow: &'a str) -> Result<Self> {
        let pool = super::api::pool(cx, &client.pool_id)?;
        Ok(Self {
            cx,
            pool,
            client,
            flow,
            device: Default::default(),
        })
    }

    pub fn device(&self) -> Option<String> {
        self.device
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set_device(&self, key: &str) {
        *self.device.lock().unwrap_or_else(|p| p.into_inner()) = Some(key.to_owned());
    }

    /// The user a caller names. Unknown: `UserNotFoundException`, or, when the client
    /// prevents user existence errors, the same answer as a wrong password.
    pub fn find_user(&self, username: &str) -> Result<UserRow> {
        match user::find(self.cx, &self.pool, username)? {
            Some(u) => Ok(u),
            None if self.client.prevents_user_existence_errors() => Err(wrong_password()),
            None => Err(CognitoError::user_not_found()),
        }
    }

    /// The user of a session, who must also be the `USERNAME` the answer names.
    pub fn session_user(&self, s: &AuthSession, username: Option<&str>) -> Result<UserRow> {
        let invalid = || CognitoError::not_authorized("Invalid session for the user.");
        let u = self
            .cx
            .store
            .user_by_sub(&self.pool.id, &s.user_sub)?
            .ok_or_else(invalid)?;
        let named =
            username.ok_or_else(|| CognitoError::invalid("Missing required parameter USERNAME"))?;
        if named != u.username
            && user::find(self.cx, &self.pool, named)?.map(|x| x.id) != Some(u.id)
        {
            return Err(invalid());
        }
        Ok(u)
    }

    /// A disabled user cannot start a sign-in; PreAuthentication may refuse it.
    pub async fn start(&self, u: &UserRow) -> Result<()> {
        if !u.enabled {
            return Err(CognitoError::not_authorized("User is disabled."));
        }
        triggers::pre_authentication(self.cx, &self.pool, &self.client, u, self.flow)
            .await
            .map_err(lambda_error)
    }

    /// After the first factor: may this user go on? (Cognito checks the password first, so
    /// a wrong password never reveals the status.)
    pub fn check_status(&self, u: &UserRow) -> Result<()> {
        match UserStatus::of(u) {
            UserStatus::Unconfirmed => Err(CognitoError::new(
                Exception::UserNotConfirmed,
                "User is not confirmed.",
            )),
            UserStatus::ResetRequired => Err(CognitoError::new(
                Exception::PasswordResetRequired,
                "Password reset required for the user",
            )),
            UserStatus::ForceChangePassword
                if UserState::of(u)
                    .temporary_expires
                    .is_some_and(|t| t < self.cx.clock.now_millis()) =>
            {
                Err(CognitoError::not_authorized(
                    "Temporary password has expired and must be reset by an administrator.",
                ))
            }
            UserStatus::Other => Err(CognitoError::not_authorized(format!(
                "User cannot sign in in state {}.",
                u.status
            ))),
            _ => Ok(()),
        }
    }

    /// The password as the first factor (USER_PASSWORD_AUTH, the hosted `/login`).
    pub async fn password(&self, username: &str, pw: &str) -> Result<UserRow> {
        let u = self.find_user(username)?;
        self.start(&u).await?;
        let ok = UserState::of(&u)
            .password
            .as_deref()
            .is_some_and(|h| password::verify(h, pw));
        if !ok {
            return Err(wrong_password());
        }
        self.check_status(&u)?;
        Ok(u)
    }

    /// After a first factor passed: a new password, MFA, or done.
    pub async fn after_first_factor(&self, u: UserRow, auth_flow: &str) -> Result<Next> {
        self.after_password(u, auth_flow, None)
    }

    /// After the password (SRP may name a device): a new password, the device's proof, MFA,
    /// or done.
    pub fn after_password(
        &self,
        u: UserRow,
        auth_flow: &str,
        device_key: Option<&str>,
    ) -> Result<Next> {
        if UserStatus::of(&u) == UserStatus::ForceChangePassword {
            return self.new_password_challenge(&u, auth_flow);
        }
        self.device_or_mfa(u, auth_flow, device_key)
    }

    fn new_password_challenge(&self, u: &UserRow, auth_flow: &str) -> Result<Next> {
        let s = AuthSession::new(
            self.cx,
            &self.client,
            &u.sub,
            "NEW_PASSWORD_REQUIRED",
            auth_flow,
        );
        let id = s.open(self.cx, &self.pool.id)?;
        let visible: Map<String, Value> = u
            .attributes
            .iter()
            .filter(|(n, _)| n != "sub")
            .map(|(n, v)| (n.clone(), json!(v)))
            .collect();
        Ok(Next::Challenge(Challenge {
            name: "NEW_PASSWORD_REQUIRED".into(),
            parameters: params([
                ("USER_ID_FOR_SRP", u.username.clone()),
                ("requiredAttributes", "[]".into()),
                ("userAttributes", Value::Object(visible).to_string()),
            ]),
            session: Some(id),
            available: Vec::new(),
        }))
    }

    /// Journal a code put in the outbox for `challenge`.
    pub fn code_sent(&self, challenge: &str, destination: &str) {
        let _ = self.cx.journal.record(
            crate::journal::Service::Cognito,
            crate::journal::EventKind::MessageSent,
            "signin.code_sent",
            Some(self.flow),
            json!({"challenge": challenge, "destination": destination}),
        );
    }

    /// Open a session for `challenge` and return it with its parameters.
    pub fn challenge(
        &self,
        s: &AuthSession,
        name: &str,
        parameters: Map<String, Value>,
    ) -> Result<Next> {
        let id = s.open(self.cx, &self.pool.id)?;
        Ok(Next::Challenge(Challenge {
            name: name.to_owned(),
            parameters,
            session: Some(id),
            available: Vec::new(),
        }))
    }

    /// PostAuthentication, pre token generation (`source`), then the tokens:
    /// `AuthenticationResult` as InitiateAuth answers it.
    pub async fn tokens(&self, u: &UserRow, source: &str) -> Result<Value> {
        triggers::post_authentication(self.cx, &self.pool, &self.client, u, self.flow)
            .await
            .map_err(lambda_error)?;
        let mut result = self
            .issue(u, source, self.cx.clock.now_secs(), None)
            .await?;
        if let Some(meta) = self.new_device_metadata(u)? {
            result["NewDeviceMetadata"] = meta;
        }
        Ok(result)
    }

    /// Pre token generation and tokens, without PostAuthentication (refresh).
    pub async fn issue(
        &self,
        u: &UserRow,
        source: &str,
        auth_time: i64,
        refresh: Option<(String, String)>,
    ) -> Result<Value> {
        let overrides =
            triggers::pre_token(self.cx, &self.pool, &self.client, u, source, self.flow)
                .await
                .map_err(|e| e.api_error("PreTokenGeneration"))?;
        let (origin_jti, scope) = match refresh {
            Some((jti, scope)) => (Some(jti), scope),
            None => (None, ADMIN_SCOPE.to_owned()),
        };
        let with_refresh = origin_jti.is_none();
        let grant = Grant {
            pool: &self.pool,
            client: &self.client,
            user: u,
            auth_time,
            scope,
            nonce: None,
            origin_jti,
            with_refresh,
            overrides,
            device_key: self.device(),
        };
        let t = tokens::issue(self.cx, &grant)?;
        let mut result = json!({"AccessToken": t.access_token, "ExpiresIn": t.expires_in, "TokenType": "Bearer", "IdToken": t.id_token});
        if let Some(r) = t.refresh_token {
            result["RefreshToken"] = json!(r);
        }
        Ok(result)
    }
}

/// Challenge parameters from pairs.
pub fn params<const N: usize>(pairs: [(&str, String); N]) -> Map<String, Value> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::String(v)))
        .collect()
}
