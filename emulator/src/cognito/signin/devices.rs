//! Remembered devices in the sign-in: a confirmed device the client names (`DEVICE_KEY`)
//! proves itself with SRP against the verifier ConfirmDevice stored (`DEVICE_SRP_AUTH`, then
//! `DEVICE_PASSWORD_VERIFIER`, the device group key in place of the pool name); a remembered
//! device skips MFA. With device tracking on, a sign-in from an unknown device gets
//! `NewDeviceMetadata`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use super::challenges::big;
use super::session::{self, AuthSession, SrpState};
use super::srp::{self, Group};
use super::{Challenge, Next, Params, SignIn, mfa, param, params};
use crate::cognito::error::{CognitoError, Result};
use crate::cognito::model::Device;
use crate::store::UserRow;

/// Device tracking is on when the pool has a `DeviceConfiguration`.
pub fn tracking(si: &SignIn<'_>) -> bool {
    si.pool
        .settings
        .get("DeviceConfiguration")
        .is_some_and(|c| !c.is_null())
}

/// The user's confirmed device `key`, if that is what it is.
pub fn confirmed_device(si: &SignIn<'_>, u: &UserRow, key: Option<&str>) -> Result<Option<Device>> {
    let Some(key) = key else { return Ok(None) };
    let d: Option<Device> = si.cx.store.get(&si.pool.id, key)?;
    Ok(d.filter(|d| d.user_sub == u.sub && d.confirmed()))
}

impl SignIn<'_> {
    /// After the password: a confirmed device proves itself first; then MFA, unless the
    /// device is remembered.
    pub fn device_or_mfa(
        &self,
        u: UserRow,
        s_flow: &str,
        device_key: Option<&str>,
    ) -> Result<Next> {
        if tracking(self) && confirmed_device(self, &u, device_key)?.is_some() {
            let mut s = AuthSession::new(self.cx, &self.client, &u.sub, "DEVICE_SRP_AUTH", s_flow);
            s.device_key = device_key.map(str::to_owned);
            return self.challenge(
                &s,
                "DEVICE_SRP_AUTH",
                params([("USERNAME", u.username.clone())]),
            );
        }
        mfa::after_first_factor(self, u, s_flow)
    }

    /// DEVICE_SRP_AUTH: the device's `SRP_A`; answered with DEVICE_PASSWORD_VERIFIER.
    pub fn device_srp(&self, session: Option<&str>, r: &Params) -> Result<Next> {
        let s = session::take(self.cx, &self.client, session, "DEVICE_SRP_AUTH")?;
        let u = self.session_user(&s, r.get("USERNAME").map(String::as_str))?;
        let key = param(r, "DEVICE_KEY")?;
        let device = confirmed_device(self, &u, Some(key))?
            .filter(|_| s.device_key.as_deref() == Some(key))
            .ok_or_else(|| CognitoError::not_found("Device does not exist."))?;
        let group = Group::default();
        let a = group
            .parse_a(param(r, "SRP_A")?)
            .map_err(|e| CognitoError::invalid(format!("Invalid SRP_A: {e}")))?;
        let v = big(device.verifier.as_deref().unwrap_or_default())?;
        let server = group.server_key(&v, &self.cx.entropy.bytes::<32>());
        let block = B64.encode(self.cx.entropy.bytes::<64>());
        let mut next = AuthSession::new(
            self.cx,
            &self.client,
            &u.sub,
            "DEVICE_PASSWORD_VERIFIER",
            &s.auth_flow,
        );
        next.device_key = Some(key.to_owned());
        next.private = json!(block);
        next.srp = Some(SrpState {
            b: server.b.to_str_radix(16),
            big_b: server.big_b.to_str_radix(16),
            big_a: a.to_str_radix(16),
        });
        let id = next.open(self.cx, &self.pool.id)?;
        Ok(Next::Challenge(Challenge {
            name: "DEVICE_PASSWORD_VERIFIER".into(),
            parameters: params([
                ("SALT", device.salt.clone().unwrap_or_default()),
                ("SECRET_BLOCK", block),
                ("SRP_B", server.big_b.to_str_radix(16)),
                ("USERNAME", u.username.clone()),
                ("DEVICE_KEY", key.to_owned()),
            ]),
            session: Some(id),
            available: Vec::new(),
        }))
    }

    /// DEVICE_PASSWORD_VERIFIER: the device's proof; a remembered device skips MFA.
    pub fn device_verifier(&self, session: Option<&str>, r: &Params) -> Result<Next> {
        let s = session::take(self.cx, &self.client, session, "DEVICE_PASSWORD_VERIFIER")?;
        let u = self.session_user(&s, r.get("USERNAME").map(String::as_str))?;
        let refused = || CognitoError::not_authorized("Incorrect username or password.");
        let mut device =
            confirmed_device(self, &u, s.device_key.as_deref())?.ok_or_else(refused)?;
        let state = s.srp.as_ref().ok_or_else(refused)?;
        let block_b64 = param(r, "PASSWORD_CLAIM_SECRET_BLOCK")?;
        if s.private.as_str() != Some(block_b64) {
            return Err(refused());
        }
        let block = B64.decode(block_b64).map_err(|_| refused())?;
        let signature = B64
            .decode(param(r, "PASSWORD_CLAIM_SIGNATURE")?)
            .map_err(|_| refused())?;
        let server = srp::ServerKey {
            b: big(&state.b)?,
            big_b: big(&state.big_b)?,
        };
        let v = big(device.verifier.as_deref().unwrap_or_default())?;
        let shared = Group::default()
            .server_session_key(&big(&state.big_a)?, &v, &server)
            .map_err(|_| refused())?;
        srp::verify_claim(
            &shared,
            &device.group_key,
            &device.key,
            &block,
            param(r, "TIMESTAMP")?,
            &signature,
        )
        .map_err(|_| refused())?;
        device.last_authenticated = self.cx.clock.now_millis();
        self.cx.store.put(&self.pool.id, &device.key, &device)?;
        self.set_device(&device.key);
        if device.remembered {
            return Ok(Next::Authenticated(u));
        }
        mfa::after_first_factor(self, u, &s.auth_flow)
    }

    /// `NewDeviceMetadata` for a sign-in from a device the pool does not know yet (device
    /// tracking on): the device is created, to be confirmed by ConfirmDevice.
    pub fn new_device_metadata(&self, u: &UserRow) -> Result<Option<Value>> {
        if !tracking(self) || self.device().is_some() {
            return Ok(None);
        }
        let now = self.cx.clock.now_millis();
        let device = Device {
            key: format!("{}_{}", self.cx.region, self.cx.entropy.uuid()),
            group_key: format!("-{}", self.cx.entropy.string_from(crate::clock::ALNUM, 9)),
            user_sub: u.sub.clone(),
            name: None,
            salt: None,
            verifier: None,
            remembered: false,
            created: now,
            modified: now,
            last_authenticated: now,
        };
        self.cx.store.put(&self.pool.id, &device.key, &device)?;
        Ok(Some(
            json!({"DeviceKey": device.key, "DeviceGroupKey": device.group_key}),
        ))
    }
}
