//! Shared test helpers: fixture loading, hex, and relying parties for the fixtures.
#![allow(dead_code)]

pub mod forge;

use std::path::PathBuf;

use emulator_webauthn::encoding::b64;
use emulator_webauthn::json::{
    AssertionResponseJson, AttestationResponseJson, AuthenticationResponseJson,
    RegistrationResponseJson,
};
use emulator_webauthn::{RelyingParty, RpConfig};
use serde_json::Value;

/// 2025-01-01T00:00:00Z in unix milliseconds: inside every fixture certificate's validity.
pub const NOW_MS: u64 = 1_735_689_600_000;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/webauthn")
}

pub fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

pub fn w3c(name: &str) -> Value {
    let path = fixtures().join("w3c").join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("read vector")).expect("json")
}

pub fn w3c_bytes(vector: &Value, part: &str, label: &str) -> Vec<u8> {
    unhex(
        vector[part][label]
            .as_str()
            .unwrap_or_else(|| panic!("{part}.{label} missing")),
    )
}

pub fn w3c_root() -> Vec<u8> {
    unhex(
        w3c("attestation-root-cert")["attestation_ca_cert"]
            .as_str()
            .expect("root"),
    )
}

/// The relying party the W3C vectors were made for (cross-origin and topOrigin allowed).
pub fn w3c_config() -> RpConfig {
    let mut config = RpConfig::new("example.org", "https://example.org");
    config.allow_cross_origin = true;
    config.top_origins = vec!["https://example.com".to_owned()];
    config.trust_roots = vec![w3c_root()];
    config
}

pub fn rp(config: RpConfig) -> RelyingParty {
    RelyingParty::new(config).expect("valid config")
}

pub fn registration_response(
    credential_id: &[u8],
    client_data_json: &[u8],
    attestation_object: &[u8],
) -> RegistrationResponseJson {
    RegistrationResponseJson {
        id: b64(credential_id),
        raw_id: b64(credential_id),
        response: AttestationResponseJson {
            client_data_json: b64(client_data_json),
            attestation_object: b64(attestation_object),
            transports: vec!["internal".to_owned()],
            authenticator_data: None,
            public_key: None,
            public_key_algorithm: None,
        },
        authenticator_attachment: None,
        client_extension_results: Default::default(),
        type_: "public-key".to_owned(),
    }
}

pub fn authentication_response(
    credential_id: &[u8],
    client_data_json: &[u8],
    authenticator_data: &[u8],
    signature: &[u8],
    user_handle: Option<&[u8]>,
) -> AuthenticationResponseJson {
    AuthenticationResponseJson {
        id: b64(credential_id),
        raw_id: b64(credential_id),
        response: AssertionResponseJson {
            client_data_json: b64(client_data_json),
            authenticator_data: b64(authenticator_data),
            signature: b64(signature),
            user_handle: user_handle.map(b64),
        },
        authenticator_attachment: None,
        client_extension_results: Default::default(),
        type_: "public-key".to_owned(),
    }
}
