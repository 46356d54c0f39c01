//! The credential record a registration produces and authentications update (L3 7.1 step 27).
//! Serialisable (for storage); the public key is re-parsed once when deserialised.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::encoding::{b64, unb64, uuid};
use crate::{AttestationType, CredentialPublicKey};

/// A registered credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialRecord {
    /// Credential id (base64url in JSON).
    #[serde(with = "b64_bytes")]
    pub id: Vec<u8>,
    /// The user handle (`user.id`) it was registered for.
    #[serde(with = "b64_bytes")]
    pub user_handle: Vec<u8>,
    pub public_key: CredentialPublicKey,
    pub sign_count: u32,
    /// BE: the credential may be backed up (a synced passkey). Fixed at registration.
    pub backup_eligible: bool,
    /// BS: it is backed up now (updated on each authentication).
    pub backup_state: bool,
    /// UV was performed at registration or a later assertion.
    pub uv_initialized: bool,
    #[serde(default)]
    pub transports: Vec<String>,
    #[serde(with = "aaguid_text")]
    pub aaguid: [u8; 16],
    /// Attestation format and type of the registration.
    pub attestation_format: String,
    pub attestation_type: AttestationType,
    /// Subject of the configured attestation root the x5c chain leads to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_root: Option<String>,
}

impl CredentialRecord {
    /// Reads a record from its JSON form.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The record's JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

mod b64_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&b64(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        unb64("credential record", &text).map_err(serde::de::Error::custom)
    }
}

mod aaguid_text {
    use super::*;

    pub fn serialize<S: Serializer>(aaguid: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&uuid(aaguid))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 16], D::Error> {
        let text = String::deserialize(d)?;
        let digits: String = text.chars().filter(|c| *c != '-').collect();
        let mut out = [0u8; 16];
        if digits.len() != 32 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(serde::de::Error::custom("aaguid: expected 32 hex digits"));
        }
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)
                .map_err(|_| serde::de::Error::custom("aaguid: not hex"))?;
        }
        Ok(out)
    }
}
