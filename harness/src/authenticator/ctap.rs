//! The authenticator's part of the ceremonies (L3 6.3.2 authenticatorMakeCredential, 6.3.3
//! authenticatorGetAssertion): eligibility checks, user presence and verification, counters,
//! authenticator data, attestation and assertion signatures.

use super::attestation::{self, AttestationFormat, ES256, Signed};
use super::auth_data::{self, AttestedCredential, Flags};
use super::config::{CounterMode, UserPresence};
use super::error::WebAuthnError;
use super::options::{ResidentKey, UvRequirement};
use super::{Credential, VirtualAuthenticator};

/// Inputs of authenticatorMakeCredential, already checked by the client.
#[derive(Debug)]
pub struct MakeCredential<'a> {
    pub rp_id: &'a str,
    pub client_data_hash: [u8; 32],
    pub user_id: &'a [u8],
    pub user_name: &'a str,
    pub user_display_name: &'a str,
    pub algorithms: &'a [i64],
    pub exclude: &'a [Vec<u8>],
    pub resident_key: ResidentKey,
    pub user_verification: UvRequirement,
}

/// Output of authenticatorMakeCredential.
#[derive(Debug)]
pub struct MadeCredential {
    pub credential_id: Vec<u8>,
    pub auth_data: Vec<u8>,
    pub attestation_object: Vec<u8>,
    pub discoverable: bool,
}

/// Inputs of authenticatorGetAssertion.
#[derive(Debug)]
pub struct GetAssertion<'a> {
    pub rp_id: &'a str,
    pub client_data_hash: [u8; 32],
    pub allow: &'a [Vec<u8>],
    pub user_verification: UvRequirement,
    /// The account the user picks when several credentials are eligible.
    pub pick: Option<&'a [u8]>,
}

/// Output of authenticatorGetAssertion.
#[derive(Debug)]
pub struct Assertion {
    pub credential_id: Vec<u8>,
    pub auth_data: Vec<u8>,
    pub signature: Vec<u8>,
    pub user_handle: Option<Vec<u8>>,
}

impl VirtualAuthenticator {
    /// UV outcome for a ceremony: Ok(true) when UV was performed and succeeded.
    fn verify_user(&self, requirement: UvRequirement) -> Result<bool, WebAuthnError> {
        let c = &self.config;
        match requirement {
            UvRequirement::Required if !c.uv_capable => Err(WebAuthnError::not_allowed(
                "user verification required but this authenticator cannot verify users",
            )),
            UvRequirement::Required if !c.uv_succeeds => Err(WebAuthnError::not_allowed(
                "user verification required but the user failed verification",
            )),
            UvRequirement::Discouraged => Ok(false),
            _ => Ok(c.uv_capable && c.uv_succeeds),
        }
    }

    /// Test of user presence: Ok(UP flag) or the user's refusal.
    fn test_presence(&self, what: &str) -> Result<bool, WebAuthnError> {
        match self.config.user_presence {
            UserPresence::Consent => Ok(true),
            UserPresence::SkipFlag => Ok(false),
            UserPresence::Refuse => Err(WebAuthnError::not_allowed(format!(
                "the user refused consent to {what}"
            ))),
        }
    }

    fn make_checks(&self, req: &MakeCredential<'_>) -> Result<bool, WebAuthnError> {
        if !req.algorithms.contains(&ES256) {
            return Err(WebAuthnError::not_supported(format!(
                "none of the requested algorithms {:?} is supported (this authenticator supports ES256, -7)",
                req.algorithms
            )));
        }
        let excluded = self
            .credentials
            .iter()
            .find(|c| c.rp_id == req.rp_id && req.exclude.contains(&c.id));
        if let Some(c) = excluded {
            self.test_presence("reveal an excluded credential")?;
            return Err(WebAuthnError::invalid_state(format!(
                "credential {} in excludeCredentials is already registered on this authenticator",
                super::client::b64(&c.id)
            )));
        }
        let discoverable = match req.resident_key {
            ResidentKey::Required if !self.config.resident_keys => {
                return Err(WebAuthnError::not_allowed(
                    "residentKey required but this authenticator cannot store discoverable credentials",
                ));
            }
            ResidentKey::Required => true,
            _ if self.config.resident_keys && self.config.always_discoverable => true,
            ResidentKey::Preferred => self.config.resident_keys,
            ResidentKey::Discouraged => false,
        };
        Ok(discoverable)
    }

    /// Fails when a new discoverable credential would not fit. The account's own old
    /// credential does not count: the new one replaces it (CTAP2 6.1.2).
    fn check_capacity(&self, req: &MakeCredential<'_>) -> Result<(), WebAuthnError> {
        let stored = self.credentials.iter().filter(|c| c.discoverable);
        let others = stored.filter(|c| !same_account(c, req)).count();
        if others >= self.config.capacity {
            return Err(WebAuthnError::not_allowed(format!(
                "the authenticator's discoverable credential storage is full ({others} of {})",
                self.config.capacity
            )));
        }
        Ok(())
    }

    /// authenticatorMakeCredential with the attestation format of the config.
    pub(crate) fn make_credential(
        &mut self,
        req: &MakeCredential<'_>,
    ) -> Result<MadeCredential, WebAuthnError> {
        let discoverable = self.make_checks(req)?;
        let uv = self.verify_user(req.user_verification)?;
        let up = self.test_presence("create a credential")?;
        if discoverable {
            self.check_capacity(req)?;
        }
        let (key, id) = self.next_key_and_id();
        let mut credential = Credential {
            id,
            rp_id: req.rp_id.to_owned(),
            user_handle: req.user_id.to_vec(),
            user_name: req.user_name.to_owned(),
            user_display_name: req.user_display_name.to_owned(),
            discoverable,
            key,
            sign_count: 0,
            backup_eligible: self.config.backup_eligible,
        };
        let counter = self.next_counter(&mut credential, true);
        let flags = self.flags(up, uv, credential.backup_eligible);
        let attested = AttestedCredential {
            aaguid: self.config.aaguid,
            credential_id: &credential.id,
            key: &credential.key,
        };
        let auth_data = auth_data::encode(req.rp_id, flags, counter, Some(&attested));
        let attestation_object = self.attest(&auth_data, &credential, &req.client_data_hash)?;
        if discoverable {
            self.credentials
                .retain(|c| !(c.discoverable && same_account(c, req)));
        }
        let made = MadeCredential {
            credential_id: credential.id.clone(),
            auth_data,
            attestation_object,
            discoverable,
        };
        self.credentials.push(credential);
        Ok(made)
    }

    /// The attestation object in the configured format.
    fn attest(
        &mut self,
        auth_data: &[u8],
        credential: &Credential,
        client_data_hash: &[u8; 32],
    ) -> Result<Vec<u8>, WebAuthnError> {
        let format = self.config.attestation;
        let batch = match format.has_x5c() {
            true => Some(self.ensure_batch()?.0.clone()),
            false => None,
        };
        let rp_id_hash = auth_data::rp_id_hash(&credential.rp_id);
        let signed = Signed {
            auth_data,
            client_data_hash,
            credential_key: &credential.key,
            credential_id: &credential.id,
            rp_id_hash: &rp_id_hash,
        };
        let (fmt, statement) = attestation::statement(format, &signed, batch.as_ref());
        Ok(attestation::object(fmt, statement, auth_data))
    }

    /// authenticatorGetAssertion with the credential the user picks, or else the first
    /// eligible one (in allow-list order when one is given, else the first discoverable
    /// credential stored for the RP).
    pub(crate) fn get_assertion(
        &mut self,
        req: &GetAssertion<'_>,
    ) -> Result<Assertion, WebAuthnError> {
        let index = self.find_credential(req.rp_id, req.allow, req.pick)?;
        let uv = self.verify_user(req.user_verification)?;
        let up = self.test_presence("sign in")?;
        let mut credential = self.credentials[index].clone();
        let counter = self.next_counter(&mut credential, false);
        let flags = self.flags(up, uv, credential.backup_eligible);
        let auth_data = auth_data::encode(req.rp_id, flags, counter, None);
        let message = [auth_data.as_slice(), &req.client_data_hash].concat();
        let assertion = Assertion {
            credential_id: credential.id.clone(),
            signature: credential.key.sign_der(&message),
            auth_data,
            user_handle: credential
                .discoverable
                .then(|| credential.user_handle.clone()),
        };
        self.credentials[index] = credential;
        Ok(assertion)
    }

    fn find_credential(
        &self,
        rp_id: &str,
        allow: &[Vec<u8>],
        pick: Option<&[u8]>,
    ) -> Result<usize, WebAuthnError> {
        let picked = |c: &Credential| pick.is_none_or(|id| c.id == id);
        let found = if allow.is_empty() {
            let mut it = self.credentials.iter();
            it.position(|c| c.rp_id == rp_id && c.discoverable && picked(c))
        } else {
            allow.iter().find_map(|id| {
                let mut it = self.credentials.iter();
                it.position(|c| c.rp_id == rp_id && c.id == *id && picked(c))
            })
        };
        found.ok_or_else(|| {
            if let Some(id) = pick {
                let id = super::client::b64(id);
                return WebAuthnError::not_allowed(format!(
                    "the picked credential {id} is not eligible for RP ID {rp_id:?}"
                ));
            }
            WebAuthnError::not_allowed(match allow.len() {
                0 => format!("no discoverable credential for RP ID {rp_id:?} on this authenticator"),
                n => format!(
                    "none of the {n} credentials in allowCredentials is on this authenticator for RP ID {rp_id:?}"
                ),
            })
        })
    }

    fn flags(&self, up: bool, uv: bool, backup_eligible: bool) -> Flags {
        Flags {
            user_present: up,
            user_verified: uv,
            backup_eligible,
            backup_state: backup_eligible && self.config.backup_state,
        }
    }

    /// The counter value to report, advancing the state as the counter mode says.
    fn next_counter(&mut self, credential: &mut Credential, registering: bool) -> u32 {
        match self.config.counter {
            CounterMode::AlwaysZero => 0,
            CounterMode::Global => {
                self.global_counter = self.global_counter.wrapping_add(1);
                credential.sign_count = self.global_counter;
                self.global_counter
            }
            CounterMode::PerCredential => {
                credential.sign_count = credential.sign_count.wrapping_add(1);
                credential.sign_count
            }
            CounterMode::Cloned if registering => {
                credential.sign_count = credential.sign_count.wrapping_add(1);
                credential.sign_count
            }
            CounterMode::Cloned => credential.sign_count,
        }
    }
}

fn same_account(c: &Credential, req: &MakeCredential<'_>) -> bool {
    c.rp_id == req.rp_id && c.user_handle == req.user_id
}

/// Whether the client replaces the attestation with `none` for this conveyance (L3 5.1.3
/// step 20.3: anything but self attestation with a zero AAGUID is replaced).
pub fn anonymise(conveyance: &str, format: AttestationFormat, aaguid: [u8; 16]) -> bool {
    let self_attestation = format == AttestationFormat::PackedSelf && aaguid == [0; 16];
    conveyance == "none" && format != AttestationFormat::None && !self_attestation
}
