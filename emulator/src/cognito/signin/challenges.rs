//! The first factors that open challenges (SRP) and the answers to every challenge
//! (RespondToAuthChallenge): `PASSWORD_VERIFIER`, `NEW_PASSWORD_REQUIRED`, the MFA codes,
//! `SELECT_MFA_TYPE`, `MFA_SETUP` and `CUSTOM_CHALLENGE`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use num_bigint::BigUint;

use super::mfa::{self, Factor};
use super::session::{self, AuthSession, SrpState};
use super::srp::{self, Group};
use super::{Next, Params, SignIn, custom, param, params, totp, wrong_password};
use crate::cognito::api::signup::check_secret_hash;
use crate::cognito::attributes::AttributeIn;
use crate::cognito::error::{CognitoError, Exception, Result};
use crate::cognito::password;
use crate::cognito::user::UserState;
use crate::store::UserRow;

/// The client's `SRP_A`, refused when it is not a number or a multiple of N.
pub fn parse_a(hex: &str) -> Result<BigUint> {
    Group::default()
        .parse_a(hex)
        .map_err(|e| CognitoError::invalid(format!("Invalid SRP_A: {e}")))
}

fn hex(n: &BigUint) -> String {
    n.to_str_radix(16)
}

pub(super) fn big(hex: &str) -> Result<BigUint> {
    BigUint::parse_bytes(hex.as_bytes(), 16)
        .ok_or_else(|| CognitoError::internal("corrupt SRP state in the session"))
}

impl SignIn<'_> {
    /// `USER_SRP_AUTH`: the server's half of SRP, answered with `PASSWORD_VERIFIER`.
    pub async fn srp_start(&self, p: &Params) -> Result<Next> {
        let username = param(p, "USERNAME")?;
        check_secret_hash(
            &self.client,
            username,
            p.get("SECRET_HASH").map(String::as_str),
        )?;
        let a = parse_a(param(p, "SRP_A")?)?;
        let u = self.find_user(username)?;
        self.start(&u).await?;
        let mut s = AuthSession::new(
            self.cx,
            &self.client,
            &u.sub,
            "PASSWORD_VERIFIER",
            "USER_SRP_AUTH",
        );
        s.device_key = p.get("DEVICE_KEY").cloned();
        self.srp_challenge(&u, &a, s)
    }

    /// The PASSWORD_VERIFIER challenge for the client's `A`, in session `s` (a password
    /// sign-in's, or a custom flow's with its history). The `SECRET_BLOCK` is the session's
    /// id: it binds the client's proof to this attempt.
    pub fn srp_challenge(&self, u: &UserRow, a: &BigUint, mut s: AuthSession) -> Result<Next> {
        let Some(verifier) = UserState::of(u).srp else {
            return Err(wrong_password());
        };
        let group = Group::default();
        let key = group.server_key(&big(&verifier.verifier)?, &self.cx.entropy.bytes::<32>());
        s.challenge = "PASSWORD_VERIFIER".into();
        s.srp = Some(SrpState {
            b: hex(&key.b),
            big_b: hex(&key.big_b),
            big_a: hex(a),
        });
        let block = s.open(self.cx, &self.pool.id)?;
        Ok(Next::Challenge(super::Challenge {
            name: "PASSWORD_VERIFIER".into(),
            parameters: params([
                ("SALT", verifier.salt),
                ("SECRET_BLOCK", block),
                ("SRP_B", hex(&key.big_b)),
                ("USERNAME", u.username.clone()),
                ("USER_ID_FOR_SRP", u.username.clone()),
            ]),
            session: None,
            available: Vec::new(),
        }))
    }

    /// RespondToAuthChallenge: take the session the answer names and move the sign-in on.
    pub async fn answer(&self, name: &str, session: Option<&str>, r: &Params) -> Result<Next> {
        if let Some(f) = Factor::from_challenge(name) {
            return self.mfa_code(f, session, r).await;
        }
        match name {
            "PASSWORD_VERIFIER" => self.password_verifier(r).await,
            "NEW_PASSWORD_REQUIRED" => self.new_password(session, r).await,
            "SELECT_MFA_TYPE" => {
                let s = session::take(self.cx, &self.client, session, name)?;
                let u = self.answering_user(&s, r)?;
                let chosen = param(r, "ANSWER")?;
                let usable = Factor::from_challenge(chosen)
                    .filter(|f| f.on_pool(&self.pool) && f.on_user(&u, &UserState::of(&u).mfa));
                let f = usable.ok_or_else(|| {
                    CognitoError::invalid(format!("Invalid MFA type {chosen} for the user."))
                })?;
                mfa::challenge(self, &u, f, &s.auth_flow)
            }
            "MFA_SETUP" => {
                let s = session::take(self.cx, &self.client, session, name)?;
                let u = self.answering_user(&s, r)?;
                if UserState::of(&u).mfa.totp_secret.is_none() {
                    return Err(CognitoError::invalid(
                        "MFA_SETUP: no software token was verified for this session (AssociateSoftwareToken, VerifySoftwareToken).",
                    ));
                }
                Ok(Next::Authenticated(u))
            }
            "CUSTOM_CHALLENGE" => custom::answer(self, session, r).await,
            "DEVICE_SRP_AUTH" => self.device_srp(session, r),
            "SELECT_CHALLENGE" => self.select_challenge(session, r).await,
            "WEB_AUTHN" => self.web_authn(session, r),
            "SMS_OTP" => self.sign_in_code("SMS_OTP", session, r),
            "DEVICE_PASSWORD_VERIFIER" => self.device_verifier(session, r),
            other => Err(CognitoError::invalid(format!(
                "Challenge {other} is not supported by this emulator."
            ))),
        }
    }

    fn answering_user(&self, s: &AuthSession, r: &Params) -> Result<UserRow> {
        let u = self.session_user(s, r.get("USERNAME").map(String::as_str))?;
        if let Some(name) = r.get("USERNAME") {
            check_secret_hash(&self.client, name, r.get("SECRET_HASH").map(String::as_str))?;
        }
        Ok(u)
    }

    async fn password_verifier(&self, r: &Params) -> Result<Next> {
        let block = param(r, "PASSWORD_CLAIM_SECRET_BLOCK")?;
        // An unknown device is refused before the session is spent: the clients then send the
        // same proof again without it.
        let device_key = r.get("DEVICE_KEY").map(String::as_str);
        if let Some(key) = device_key
            && let Some((_, s)) = self.cx.store.find::<AuthSession>(block)?
            && let Some(u) = self.cx.store.user_by_sub(&self.pool.id, &s.user_sub)?
            && super::devices::confirmed_device(self, &u, Some(key))?.is_none()
        {
            return Err(CognitoError::not_found("Device does not exist."));
        }
        let s = session::take(self.cx, &self.client, Some(block), "PASSWORD_VERIFIER")?;
        let u = self.answering_user(&s, r)?;
        let proved = self.check_claim(&s, &u, block, r)?;
        if s.auth_flow == "CUSTOM_AUTH" {
            return custom::after_password(self, u, s, proved).await;
        }
        if !proved {
            return Err(wrong_password());
        }
        self.check_status(&u)?;
        let device = device_key.map(str::to_owned).or(s.device_key);
        self.after_password(u, &s.auth_flow, device.as_deref())
    }

    /// Does the client's PASSWORD_CLAIM_SIGNATURE prove the password?
    fn check_claim(&self, s: &AuthSession, u: &UserRow, block: &str, r: &Params) -> Result<bool> {
        let timestamp = param(r, "TIMESTAMP")?;
        let Ok(signature) = B64.decode(param(r, "PASSWORD_CLAIM_SIGNATURE")?) else {
            return Ok(false);
        };
        let block_bytes = B64
            .decode(block)
            .map_err(|_| CognitoError::invalid("PASSWORD_CLAIM_SECRET_BLOCK is not base64"))?;
        let (Some(state), Some(verifier)) = (&s.srp, UserState::of(u).srp) else {
            return Ok(false);
        };
        let key = srp::ServerKey {
            b: big(&state.b)?,
            big_b: big(&state.big_b)?,
        };
        let Ok(shared) = Group::default().server_session_key(
            &big(&state.big_a)?,
            &big(&verifier.verifier)?,
            &key,
        ) else {
            return Ok(false);
        };
        Ok(srp::verify_claim(
            &shared,
            srp::pool_name(&self.pool.id),
            &u.username,
            &block_bytes,
            timestamp,
            &signature,
        )
        .is_ok())
    }

    async fn new_password(&self, session: Option<&str>, r: &Params) -> Result<Next> {
        let s = session::take(self.cx, &self.client, session, "NEW_PASSWORD_REQUIRED")?;
        let mut u = self.answering_user(&s, r)?;
        let new_password = param(r, "NEW_PASSWORD")?;
        password::check(&self.pool.password_policy(), new_password)?;
        let updates: Vec<AttributeIn> = r
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("userAttributes.").map(|n| AttributeIn {
                    name: n.to_owned(),
                    value: Some(v.clone()),
                })
            })
            .collect();
        if !updates.is_empty() {
            crate::cognito::api::users::apply_updates(self.cx, &self.pool, &mut u, &updates)?;
        }
        let mut state = UserState::of(&u);
        state.set_password(self.cx, &self.pool.id, &u.username, new_password);
        state.temporary_expires = None;
        state.store_in(&mut u);
        u.status = "CONFIRMED".into();
        u.modified = self.cx.clock.now_millis();
        self.cx.store.update_user(&u)?;
        mfa::after_first_factor(self, u, &s.auth_flow)
    }

    async fn mfa_code(&self, f: Factor, session: Option<&str>, r: &Params) -> Result<Next> {
        let id = session.unwrap_or_default();
        let s = session::take(self.cx, &self.client, session, f.challenge())?;
        let mut u = self.answering_user(&s, r)?;
        let code = param(r, f.answer_key())?;
        let ok = match f {
            Factor::Totp => {
                let mut state = UserState::of(&u);
                let secret = state.mfa.totp_secret.as_deref().and_then(totp::from_base32);
                let now = self.cx.clock.now_secs();
                let step =
                    secret.and_then(|k| totp::verify(&k, code, now, state.mfa.totp_last_step));
                if let Some(step) = step {
                    state.mfa.totp_last_step = Some(step);
                    state.store_in(&mut u);
                    self.cx.store.update_user(&u)?;
                }
                step.is_some()
            }
            Factor::Sms | Factor::Email => s.code.as_deref() == Some(code.trim()),
        };
        if !ok {
            s.retry(self.cx, &self.pool.id, id)?;
            return Err(CognitoError::new(
                Exception::CodeMismatch,
                "Invalid code received for user",
            ));
        }
        Ok(Next::Authenticated(u))
    }
}
