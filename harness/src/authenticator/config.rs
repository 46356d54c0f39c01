//! The plain configuration of a virtual authenticator (every knob a test turns to reproduce a
//! phone, a laptop or a security key, faults included) and presets for the common devices.

use serde::{Deserialize, Serialize};

use super::attestation::AttestationFormat;

/// `authenticatorAttachment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Attachment {
    Platform,
    CrossPlatform,
}

impl Attachment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::CrossPlatform => "cross-platform",
        }
    }
}

/// What happens at the test of user presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UserPresence {
    /// The user touches the sensor / consents: UP is set.
    Consent,
    /// The user cancels: the ceremony fails with `NotAllowedError`.
    Refuse,
    /// Fault: the authenticator signs without testing presence, leaving UP clear.
    SkipFlag,
}

/// How the signature counter moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CounterMode {
    /// One counter per credential, incremented at registration and every assertion.
    PerCredential,
    /// One counter for the whole device (as U2F keys do), incremented at every signature.
    Global,
    /// Always 0 (synced passkeys).
    AlwaysZero,
    /// A clone: the counter advances at registration, then every assertion replays that
    /// stale value, so a relying party sees it fail to increase.
    Cloned,
}

/// The attestation root CA: its P-256 private scalar (hex) and common name. When absent
/// from the config, the root key is drawn from the device's RNG.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationRoot {
    pub private_key_hex: String,
    pub common_name: String,
}

/// Every knob of a virtual authenticator. Plain data: build it with a preset and struct
/// update syntax, or read it from a device file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticatorConfig {
    /// AAGUID, 32 hex digits (hyphens allowed when read).
    #[serde(with = "aaguid_hex")]
    pub aaguid: [u8; 16],
    pub attachment: Attachment,
    /// Transports reported in the registration response (`internal`, `hybrid`, `usb`, ...).
    pub transports: Vec<String>,
    /// Whether the authenticator can store discoverable (resident) credentials.
    pub resident_keys: bool,
    /// Make every credential discoverable, whatever `residentKey` says (as the platform
    /// passkey providers of phones and laptops do).
    #[serde(default)]
    pub always_discoverable: bool,
    /// How many discoverable credentials fit before creation fails.
    pub capacity: usize,
    /// Whether the authenticator can verify the user (biometric, PIN).
    pub uv_capable: bool,
    /// Whether user verification succeeds right now (flip to model a failed fingerprint).
    pub uv_succeeds: bool,
    pub user_presence: UserPresence,
    pub attestation: AttestationFormat,
    #[serde(default)]
    pub attestation_root: Option<AttestationRoot>,
    pub counter: CounterMode,
    /// BE flag of new credentials.
    pub backup_eligible: bool,
    /// BS flag (reported only for backup-eligible credentials).
    pub backup_state: bool,
    /// Length of generated credential ids in bytes (16 to 1023).
    pub credential_id_len: usize,
}

impl AuthenticatorConfig {
    /// A phone or laptop passkey provider: platform, discoverable, biometric UV, synced
    /// (BE and BS set), counter always zero, `none` attestation.
    pub fn platform_passkey() -> Self {
        Self {
            aaguid: [0x7a; 16],
            attachment: Attachment::Platform,
            transports: vec!["hybrid".into(), "internal".into()],
            resident_keys: true,
            always_discoverable: true,
            capacity: 100,
            uv_capable: true,
            uv_succeeds: true,
            user_presence: UserPresence::Consent,
            attestation: AttestationFormat::None,
            attestation_root: None,
            counter: CounterMode::AlwaysZero,
            backup_eligible: true,
            backup_state: true,
            credential_id_len: 16,
        }
    }

    /// A FIDO2 USB security key: cross-platform, 25 discoverable slots, PIN UV, device-bound,
    /// per-credential counter, `packed` attestation with an x5c chain.
    pub fn security_key() -> Self {
        Self {
            aaguid: [0x5e; 16],
            attachment: Attachment::CrossPlatform,
            transports: vec!["nfc".into(), "usb".into()],
            resident_keys: true,
            always_discoverable: false,
            capacity: 25,
            uv_capable: true,
            uv_succeeds: true,
            user_presence: UserPresence::Consent,
            attestation: AttestationFormat::PackedX5c,
            attestation_root: None,
            counter: CounterMode::PerCredential,
            backup_eligible: false,
            backup_state: false,
            credential_id_len: 64,
        }
    }

    /// A U2F-only key: no discoverable credentials, no UV, a global counter, `fido-u2f`
    /// attestation, zero AAGUID.
    pub fn u2f_key() -> Self {
        Self {
            aaguid: [0; 16],
            resident_keys: false,
            capacity: 0,
            uv_capable: false,
            uv_succeeds: false,
            attestation: AttestationFormat::FidoU2f,
            counter: CounterMode::Global,
            transports: vec!["usb".into()],
            ..Self::security_key()
        }
    }

    /// What `PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable()` answers in
    /// a browser whose only authenticator is this one (as Chromium's virtual environment does).
    pub fn is_uv_platform(&self) -> bool {
        self.attachment == Attachment::Platform && self.uv_capable
    }

    /// Checks the values that have a range.
    pub fn validate(&self) -> Result<(), String> {
        if !(16..=1023).contains(&self.credential_id_len) {
            return Err(format!(
                "credential_id_len must be 16 to 1023, got {}",
                self.credential_id_len
            ));
        }
        Ok(())
    }
}

impl Default for AuthenticatorConfig {
    fn default() -> Self {
        Self::platform_passkey()
    }
}

pub(crate) mod aaguid_hex {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(value: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::super::hex(value))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 16], D::Error> {
        let text = String::deserialize(d)?.replace('-', "");
        let bytes = super::super::unhex(&text).map_err(D::Error::custom)?;
        bytes
            .try_into()
            .map_err(|_| D::Error::custom("aaguid must be 16 bytes"))
    }
}
