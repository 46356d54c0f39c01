//! Virtual WebAuthn authenticators: the device state (`VirtualAuthenticator`: config,
//! credentials, counters, injected RNG) and the module map of the browser and authenticator
//! parts. Shares no protocol code with the emulator's verifier (DESIGN.md, decision 3).

pub mod attestation;
mod auth_data;
mod certs;
pub mod client;
pub mod config;
mod ctap;
pub mod device;
pub mod error;
pub mod keys;
mod options;

use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;

pub use attestation::AttestationFormat;
pub use client::ClientContext;
pub use config::{Attachment, AttestationRoot, AuthenticatorConfig, CounterMode, UserPresence};
pub use error::{ErrorName, WebAuthnError};
pub use keys::CredentialKey;

use attestation::Batch;

/// A credential held by an authenticator.
#[derive(Debug, Clone)]
pub struct Credential {
    pub id: Vec<u8>,
    pub rp_id: String,
    pub user_handle: Vec<u8>,
    pub user_name: String,
    pub user_display_name: String,
    /// Discoverable (resident): usable without `allowCredentials`, returns its userHandle.
    pub discoverable: bool,
    pub key: CredentialKey,
    /// The credential's own counter (its last reported value in per-credential mode).
    pub sign_count: u32,
    /// BE, fixed at creation.
    pub backup_eligible: bool,
}

/// The credential key and id a test fixes for the next registration (e.g. the W3C vectors).
#[derive(Debug, Clone)]
pub struct PresetCredential {
    pub key: CredentialKey,
    pub id: Vec<u8>,
}

/// One virtual authenticator: a phone, a laptop or a security key.
#[derive(Debug)]
pub struct VirtualAuthenticator {
    config: AuthenticatorConfig,
    credentials: Vec<Credential>,
    /// The device-wide counter of `CounterMode::Global`.
    global_counter: u32,
    /// Injected randomness: credential keys and ids, attestation keys and serials.
    rng: ChaCha20Rng,
    /// Batch attestation key and chain, made on first need so `none` devices draw nothing.
    batch: Option<(Batch, Vec<u8>)>,
    preset: Option<PresetCredential>,
}

impl VirtualAuthenticator {
    /// A device with no credentials. The RNG is injected (seed a `ChaCha20Rng`) so that
    /// generated keys, credential ids and certificates are the same on every run.
    pub fn new(config: AuthenticatorConfig, rng: ChaCha20Rng) -> Result<Self, WebAuthnError> {
        config.validate().map_err(WebAuthnError::type_error)?;
        Ok(Self {
            config,
            credentials: Vec::new(),
            global_counter: 0,
            rng,
            batch: None,
            preset: None,
        })
    }

    pub fn config(&self) -> &AuthenticatorConfig {
        &self.config
    }

    /// Turn a knob between ceremonies (e.g. make UV fail, switch BS, refuse presence).
    pub fn config_mut(&mut self) -> &mut AuthenticatorConfig {
        &mut self.config
    }

    pub fn credentials(&self) -> &[Credential] {
        &self.credentials
    }

    pub fn credential(&self, id: &[u8]) -> Option<&Credential> {
        self.credentials.iter().find(|c| c.id == id)
    }

    pub fn global_counter(&self) -> u32 {
        self.global_counter
    }

    /// Adds a credential from elsewhere (another device, Chromium, a backup): a synced
    /// passkey. A credential with the same id is replaced.
    pub fn import_credential(&mut self, credential: Credential) {
        self.credentials.retain(|c| c.id != credential.id);
        self.credentials.push(credential);
    }

    /// Removes a credential; true when it was there.
    pub fn remove_credential(&mut self, id: &[u8]) -> bool {
        let before = self.credentials.len();
        self.credentials.retain(|c| c.id != id);
        before != self.credentials.len()
    }

    /// Fixes the key and id of the next credential this device creates.
    pub fn preset_next_credential(&mut self, preset: PresetCredential) {
        self.preset = Some(preset);
    }

    /// DER of the attestation root CA, for relying parties to trust (x5c formats only).
    pub fn attestation_root_der(&mut self) -> Result<Option<Vec<u8>>, WebAuthnError> {
        if !self.config.attestation.has_x5c() {
            return Ok(None);
        }
        Ok(Some(self.ensure_batch()?.1.clone()))
    }

    /// Uses this batch attestation key and certificate chain (leaf first) instead of a
    /// generated one, e.g. a vendor's, or the ones a test vector fixes.
    pub fn set_attestation(&mut self, key: CredentialKey, x5c: Vec<Vec<u8>>, root_der: Vec<u8>) {
        self.batch = Some((Batch { key, x5c }, root_der));
    }

    fn ensure_batch(&mut self) -> Result<&(Batch, Vec<u8>), WebAuthnError> {
        if self.batch.is_none() {
            let batch = self.make_batch()?;
            self.batch = Some(batch);
        }
        self.batch
            .as_ref()
            .ok_or_else(|| WebAuthnError::not_allowed("attestation batch unavailable"))
    }

    fn make_batch(&mut self) -> Result<(Batch, Vec<u8>), WebAuthnError> {
        let (root_key, root_name) = match &self.config.attestation_root {
            Some(root) => {
                let bytes = unhex(&root.private_key_hex).map_err(WebAuthnError::type_error)?;
                let key = CredentialKey::from_scalar(&bytes)
                    .map_err(|e| WebAuthnError::type_error(format!("attestation root: {e}")))?;
                (key, root.common_name.clone())
            }
            None => (
                CredentialKey::generate(&mut self.rng),
                "Virtual Authenticator Root CA".to_owned(),
            ),
        };
        let leaf_key = CredentialKey::generate(&mut self.rng);
        let mut serials = ([0u8; 16], [0u8; 16]);
        self.rng.fill_bytes(&mut serials.0);
        self.rng.fill_bytes(&mut serials.1);
        let names = certs::ChainNames {
            root_common_name: root_name,
            leaf_common_name: "Virtual Authenticator Batch".to_owned(),
        };
        let chain = certs::generate(&names, &root_key, &leaf_key, self.config.aaguid, serials)
            .map_err(|e| WebAuthnError::not_allowed(format!("attestation chain: {e}")))?;
        let batch = Batch {
            key: leaf_key,
            x5c: vec![chain.leaf_der],
        };
        Ok((batch, chain.root_der))
    }

    /// The key and id for a new credential: the preset if a test fixed one, else drawn.
    fn next_key_and_id(&mut self) -> (CredentialKey, Vec<u8>) {
        if let Some(preset) = self.preset.take() {
            return (preset.key, preset.id);
        }
        let key = CredentialKey::generate(&mut self.rng);
        let mut id = vec![0u8; self.config.credential_id_len];
        self.rng.fill_bytes(&mut id);
        (key, id)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unhex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return Err(format!("not hex: {text:?}"));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| format!("not hex: {text:?}")))
        .collect()
}
