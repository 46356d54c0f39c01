//! The authentication ceremony: options and state (`start_authentication`), then the L3 7.2
//! verification, which updates the stored [`CredentialRecord`] only when everything passed.

use rand_core::RngCore;
use serde::{Deserialize, Serialize};

use crate::auth_data::{self, BE, BS, UV};
use crate::encoding::{b64, unb64};
use crate::json::{AuthenticationResponseJson, CredentialDescriptor, RequestOptionsJson};
use crate::registration::{check_credential_ids, check_expiry, check_extensions};
use crate::{
    ChallengeRegistry, CounterPolicy, CredentialRecord, Error, RelyingParty, Trace,
    UserVerification, client_data,
};

/// Which credentials may answer; empty means a discoverable (username-less) login.
#[derive(Debug, Clone, Default)]
pub struct AuthenticationRequest {
    /// Credential ids and their transports.
    pub allow_credentials: Vec<(Vec<u8>, Vec<String>)>,
    /// Overrides the config's user verification requirement.
    pub user_verification: Option<UserVerification>,
}

/// What the server keeps between `start_authentication` and `finish_authentication`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationState {
    pub challenge: String,
    /// base64url ids of `allowCredentials` (empty: discoverable login, userHandle required).
    pub allow_credentials: Vec<String>,
    pub user_verification: UserVerification,
    pub expires_at_ms: u64,
}

impl AuthenticationState {
    /// The state implied by options captured elsewhere (the CLI): no expiry.
    pub fn from_options(options: &RequestOptionsJson) -> Self {
        AuthenticationState {
            challenge: options.challenge.trim_end_matches('=').to_owned(),
            allow_credentials: options
                .allow_credentials
                .iter()
                .map(|c| c.id.clone())
                .collect(),
            user_verification: UserVerification::parse(options.user_verification.as_deref()),
            expires_at_ms: u64::MAX,
        }
    }
}

/// What a successful authentication established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationOutcome {
    #[serde(serialize_with = "ser_b64")]
    pub credential_id: Vec<u8>,
    #[serde(serialize_with = "ser_b64")]
    pub user_handle: Vec<u8>,
    pub user_verified: bool,
    pub backup_state: bool,
    /// The counter the authenticator reported.
    pub sign_count: u32,
    /// Under [`CounterPolicy::Flag`]: the counter did not increase (possible clone).
    pub counter_regressed: bool,
}

fn ser_b64<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&b64(bytes))
}

impl RelyingParty {
    /// Issues a challenge; returns the options for `navigator.credentials.get()` and the state.
    pub fn start_authentication(
        &self,
        challenges: &mut ChallengeRegistry,
        rng: &mut dyn RngCore,
        now_ms: u64,
        request: &AuthenticationRequest,
    ) -> (RequestOptionsJson, AuthenticationState) {
        let config = self.config();
        let mut raw = [0u8; 32];
        rng.fill_bytes(&mut raw);
        let challenge = b64(&raw);
        let expires_at_ms = now_ms.saturating_add(config.challenge_ttl_ms);
        challenges.issue(&challenge, expires_at_ms, now_ms);
        let uv = request
            .user_verification
            .unwrap_or(config.user_verification);
        let options = RequestOptionsJson {
            challenge,
            timeout: Some(config.challenge_ttl_ms),
            rp_id: Some(config.rp_id.clone()),
            allow_credentials: request
                .allow_credentials
                .iter()
                .map(|(id, transports)| CredentialDescriptor {
                    type_: "public-key".to_owned(),
                    id: b64(id),
                    transports: transports.clone(),
                })
                .collect(),
            user_verification: Some(uv.as_str().to_owned()),
            hints: Vec::new(),
            extensions: None,
        };
        let state = AuthenticationState {
            expires_at_ms,
            ..AuthenticationState::from_options(&options)
        };
        (options, state)
    }

    /// Consumes the state's challenge, then verifies (see [`Self::verify_authentication`]).
    pub fn finish_authentication(
        &self,
        challenges: &mut ChallengeRegistry,
        state: AuthenticationState,
        response: &AuthenticationResponseJson,
        credential: &mut CredentialRecord,
        now_ms: u64,
    ) -> Result<AuthenticationOutcome, Error> {
        challenges.consume(&state.challenge, now_ms)?;
        self.verify_authentication(&state, response, credential, now_ms, &mut Trace::disabled())
    }

    /// The L3 7.2 checklist against the stored `credential` (looked up by the response's
    /// `rawId`); on success updates its signCount, BS and uvInitialized.
    pub fn verify_authentication(
        &self,
        state: &AuthenticationState,
        response: &AuthenticationResponseJson,
        credential: &mut CredentialRecord,
        now_ms: u64,
        trace: &mut Trace,
    ) -> Result<AuthenticationOutcome, Error> {
        check_expiry(&state.challenge, state.expires_at_ms, now_ms)?;
        let raw_id = check_credential_ids(&response.type_, &response.id, &response.raw_id, trace)?;
        self.check_credential(state, response, credential, &raw_id, trace)?;
        let r = &response.response;
        let client_data_json = unb64("clientDataJSON", &r.client_data_json)?;
        let hash = client_data::verify(
            self,
            &client_data_json,
            client_data::GET,
            &state.challenge,
            trace,
        )?;
        let auth_data_raw = unb64("authenticatorData", &r.authenticator_data)?;
        let auth = auth_data::parse(&auth_data_raw)?;
        self.check_flags(&auth, state.user_verification, trace)?;
        if auth.attested.is_some() {
            return Err(Error::UnexpectedAttestedCredentialData);
        }
        if auth.has(BE) != credential.backup_eligible {
            return Err(Error::BackupEligibilityChanged {
                stored: credential.backup_eligible,
                received: auth.has(BE),
            });
        }
        trace.pass("BE unchanged", || {
            format!("BE={} as registered", credential.backup_eligible)
        });
        check_extensions(&auth.extensions, &[])?;
        let signature = unb64("signature", &r.signature)?;
        let mut message = Vec::with_capacity(auth_data_raw.len() + 32);
        message.extend_from_slice(&auth_data_raw);
        message.extend_from_slice(&hash);
        let alg = credential.public_key.alg();
        if !credential.public_key.verify(&message, &signature) {
            return Err(Error::SignatureInvalid { alg: alg.name() });
        }
        trace.pass("signature", || format!("{} signature verifies", alg.name()));
        let (stored, received) = (credential.sign_count, auth.sign_count);
        let regressed = (stored != 0 || received != 0) && received <= stored;
        if regressed && self.config().counter == CounterPolicy::Reject {
            return Err(Error::CounterRegression { stored, received });
        }
        trace.pass("signCount", || match regressed {
            true => format!("{received} <= stored {stored}: flagged (possible clone)"),
            false => format!("{received} (stored {stored})"),
        });
        if !regressed {
            credential.sign_count = received;
        }
        credential.backup_state = auth.has(BS);
        credential.uv_initialized |= auth.has(UV);
        Ok(AuthenticationOutcome {
            credential_id: raw_id,
            user_handle: credential.user_handle.clone(),
            user_verified: auth.has(UV),
            backup_state: auth.has(BS),
            sign_count: received,
            counter_regressed: regressed,
        })
    }

    /// allowCredentials, the stored credential's identity and the userHandle (7.2 steps 5-6).
    fn check_credential(
        &self,
        state: &AuthenticationState,
        response: &AuthenticationResponseJson,
        credential: &CredentialRecord,
        raw_id: &[u8],
        trace: &mut Trace,
    ) -> Result<(), Error> {
        if !state.allow_credentials.is_empty()
            && !state
                .allow_credentials
                .iter()
                .any(|a| unb64("allowCredentials", a).is_ok_and(|a| a == raw_id))
        {
            return Err(Error::CredentialNotAllowed {
                id: b64(raw_id),
                allowed: state.allow_credentials.clone(),
            });
        }
        if credential.id != raw_id {
            return Err(Error::CredentialMismatch {
                expected: b64(&credential.id),
                actual: b64(raw_id),
            });
        }
        match response
            .response
            .user_handle
            .as_deref()
            .filter(|h| !h.is_empty())
        {
            None if state.allow_credentials.is_empty() => {
                return Err(Error::UserHandleMissing {
                    expected: b64(&credential.user_handle),
                });
            }
            Some(handle) if unb64("userHandle", handle)? != credential.user_handle => {
                return Err(Error::UserHandleMismatch {
                    expected: b64(&credential.user_handle),
                    actual: handle.to_owned(),
                });
            }
            _ => {}
        }
        trace.pass("credential owner", || {
            format!(
                "credential {} of user {}",
                b64(raw_id),
                b64(&credential.user_handle)
            )
        });
        Ok(())
    }
}
