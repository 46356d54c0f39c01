//! Persistence and credential exchange: the JSON device file (config, RNG position, counters,
//! attestation material, credentials with PKCS#8 keys), and the credential JSON of the
//! WebDriver virtual authenticator API, so one credential can live in several devices.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde::{Deserialize, Serialize};

use super::attestation::Batch;
use super::client::b64;
use super::config::AuthenticatorConfig;
use super::keys::CredentialKey;
use super::options;
use super::{Credential, VirtualAuthenticator, hex, unhex};

/// A device file could not be read or is inconsistent.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("device file is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("device file field {field}: {reason}")]
    Field { field: String, reason: String },
}

fn field_err(field: &str, reason: impl ToString) -> DeviceError {
    DeviceError::Field {
        field: field.to_owned(),
        reason: reason.to_string(),
    }
}

fn unb64(field: &str, value: &str) -> Result<Vec<u8>, DeviceError> {
    options::b64(field, value).map_err(|e| field_err(field, e.reason))
}

/// One credential as stored in a device file or exchanged between devices.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CredentialFile {
    /// base64url credential id.
    pub id: String,
    pub rp_id: String,
    /// base64url user handle.
    pub user_handle: String,
    pub user_name: String,
    pub user_display_name: String,
    pub discoverable: bool,
    /// base64url PKCS#8 DER of the P-256 private key.
    pub private_key: String,
    pub sign_count: u32,
    pub backup_eligible: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct RngFile {
    seed: String,
    /// ChaCha word position as a decimal string (a u128 does not fit a JSON number).
    word_pos: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct AttestationFile {
    private_key: String,
    x5c: Vec<String>,
    root: String,
}

/// The JSON device file: everything needed to continue exactly where the device stopped.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeviceFile {
    pub version: u32,
    pub config: AuthenticatorConfig,
    rng: RngFile,
    global_counter: u32,
    #[serde(default)]
    attestation: Option<AttestationFile>,
    pub credentials: Vec<CredentialFile>,
}

impl Credential {
    pub fn to_file(&self) -> CredentialFile {
        CredentialFile {
            id: b64(&self.id),
            rp_id: self.rp_id.clone(),
            user_handle: b64(&self.user_handle),
            user_name: self.user_name.clone(),
            user_display_name: self.user_display_name.clone(),
            discoverable: self.discoverable,
            private_key: b64(&self.key.to_pkcs8_der()),
            sign_count: self.sign_count,
            backup_eligible: self.backup_eligible,
        }
    }

    pub fn from_file(file: &CredentialFile) -> Result<Self, DeviceError> {
        let der = unb64("private_key", &file.private_key)?;
        let key = CredentialKey::from_pkcs8_der(&der).map_err(|e| field_err("private_key", e))?;
        Ok(Self {
            id: unb64("id", &file.id)?,
            rp_id: file.rp_id.clone(),
            user_handle: unb64("user_handle", &file.user_handle)?,
            user_name: file.user_name.clone(),
            user_display_name: file.user_display_name.clone(),
            discoverable: file.discoverable,
            key,
            sign_count: file.sign_count,
            backup_eligible: file.backup_eligible,
        })
    }

    /// The body of WebDriver's "Add Credential" (`POST .../webauthn/authenticator/{id}/
    /// credential`), which Chromium's virtual authenticator imports.
    pub fn to_webdriver(&self) -> serde_json::Value {
        serde_json::json!({
            "credentialId": b64(&self.id),
            "isResidentCredential": self.discoverable,
            "rpId": self.rp_id,
            "privateKey": b64(&self.key.to_pkcs8_der()),
            "userHandle": b64(&self.user_handle),
            "signCount": self.sign_count,
            "backupEligibility": self.backup_eligible,
        })
    }

    /// A credential from WebDriver's "Get Credentials" answer (names are not in it).
    pub fn from_webdriver(value: &serde_json::Value) -> Result<Self, DeviceError> {
        let text = |name: &str| {
            value
                .get(name)
                .and_then(|v| v.as_str())
                .ok_or_else(|| field_err(name, "missing"))
        };
        let der = unb64("privateKey", text("privateKey")?)?;
        let key = CredentialKey::from_pkcs8_der(&der).map_err(|e| field_err("privateKey", e))?;
        let count = value.get("signCount").and_then(|v| v.as_u64()).unwrap_or(0);
        Ok(Self {
            id: unb64("credentialId", text("credentialId")?)?,
            rp_id: text("rpId")?.to_owned(),
            user_handle: match text("userHandle") {
                Ok(h) => unb64("userHandle", h)?,
                Err(_) => Vec::new(),
            },
            user_name: String::new(),
            user_display_name: String::new(),
            discoverable: value.get("isResidentCredential").and_then(|v| v.as_bool()) == Some(true),
            key,
            sign_count: u32::try_from(count).map_err(|e| field_err("signCount", e))?,
            backup_eligible: value.get("backupEligibility").and_then(|v| v.as_bool()) == Some(true),
        })
    }
}

impl VirtualAuthenticator {
    /// A new device whose RNG is ChaCha20 seeded with `seed` (the device file keeps the seed
    /// and the stream position).
    pub fn with_seed(config: AuthenticatorConfig, seed: u64) -> Result<Self, super::WebAuthnError> {
        Self::new(config, ChaCha20Rng::seed_from_u64(seed))
    }

    pub fn to_device_file(&self) -> DeviceFile {
        let attestation = self.batch.as_ref().map(|(batch, root)| AttestationFile {
            private_key: b64(&batch.key.to_pkcs8_der()),
            x5c: batch.x5c.iter().map(|c| b64(c)).collect(),
            root: b64(root),
        });
        DeviceFile {
            version: 1,
            config: self.config.clone(),
            rng: RngFile {
                seed: hex(&self.rng.get_seed()),
                word_pos: self.rng.get_word_pos().to_string(),
            },
            global_counter: self.global_counter,
            attestation,
            credentials: self.credentials.iter().map(Credential::to_file).collect(),
        }
    }

    pub fn from_device_file(file: DeviceFile) -> Result<Self, DeviceError> {
        if file.version != 1 {
            return Err(field_err(
                "version",
                format!("unsupported {}", file.version),
            ));
        }
        file.config.validate().map_err(|e| field_err("config", e))?;
        let seed: [u8; 32] = unhex(&file.rng.seed)
            .map_err(|e| field_err("rng.seed", e))?
            .try_into()
            .map_err(|_| field_err("rng.seed", "must be 32 bytes"))?;
        let mut rng = ChaCha20Rng::from_seed(seed);
        let pos: u128 = file
            .rng
            .word_pos
            .parse()
            .map_err(|e| field_err("rng.word_pos", e))?;
        rng.set_word_pos(pos);
        let batch = match file.attestation {
            Some(a) => {
                let der = unb64("attestation.private_key", &a.private_key)?;
                let key = CredentialKey::from_pkcs8_der(&der)
                    .map_err(|e| field_err("attestation.private_key", e))?;
                let x5c = a.x5c.iter().map(|c| unb64("attestation.x5c", c));
                let batch = Batch {
                    key,
                    x5c: x5c.collect::<Result<_, _>>()?,
                };
                Some((batch, unb64("attestation.root", &a.root)?))
            }
            None => None,
        };
        let credentials = file.credentials.iter().map(Credential::from_file);
        Ok(Self {
            config: file.config,
            credentials: credentials.collect::<Result<_, _>>()?,
            global_counter: file.global_counter,
            rng,
            batch,
            preset: None,
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.to_device_file()).unwrap_or_default()
    }

    pub fn from_json(json: &str) -> Result<Self, DeviceError> {
        Self::from_device_file(serde_json::from_str(json)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential() -> Credential {
        Credential {
            id: vec![1, 2, 3],
            rp_id: "idp.localhost".into(),
            user_handle: vec![9],
            user_name: "ann".into(),
            user_display_name: "Ann".into(),
            discoverable: true,
            key: CredentialKey::from_scalar(&[5; 32]).unwrap(),
            sign_count: 4,
            backup_eligible: true,
        }
    }

    #[test]
    fn webdriver_json_round_trip() {
        let original = credential();
        let json = original.to_webdriver();
        assert_eq!(json["credentialId"], "AQID");
        assert_eq!(json["isResidentCredential"], true);
        let back = Credential::from_webdriver(&json).unwrap();
        assert_eq!(back.id, original.id);
        assert_eq!(back.key.public_sec1(), original.key.public_sec1());
        assert_eq!((back.sign_count, back.discoverable), (4, true));
    }

    fn check_error(mutate: impl Fn(&mut serde_json::Value), expect: &str) {
        let mut device =
            VirtualAuthenticator::with_seed(AuthenticatorConfig::default(), 1).unwrap();
        device.import_credential(credential());
        let mut json: serde_json::Value = serde_json::from_str(&device.to_json()).unwrap();
        mutate(&mut json);
        let err = VirtualAuthenticator::from_json(&json.to_string()).unwrap_err();
        assert!(
            err.to_string().contains(expect),
            "{err} should contain {expect}"
        );
    }

    #[test]
    fn bad_device_files_name_the_field() {
        check_error(|j| j["version"] = 2.into(), "field version");
        check_error(
            |j| j["rng"]["seed"] = "abcd".into(),
            "rng.seed: must be 32 bytes",
        );
        check_error(|j| j["rng"]["word_pos"] = "x".into(), "rng.word_pos");
        check_error(
            |j| j["credentials"][0]["private_key"] = "AAAA".into(),
            "private_key",
        );
        check_error(
            |j| j["credentials"][0]["id"] = "*".into(),
            "id: id is not base64url",
        );
        check_error(
            |j| j["config"]["credential_id_len"] = 8.into(),
            "credential_id_len",
        );
        check_error(
            |j| j["config"]["aaguid"] = "00".into(),
            "aaguid must be 16 bytes",
        );
    }
}
