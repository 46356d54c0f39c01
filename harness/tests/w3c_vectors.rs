//! The W3C WebAuthn Level 3 test vectors, reproduced byte for byte: with the key, credential
//! id, AAGUID, flags and challenge the spec fixes, the virtual authenticator and its client
//! must emit the spec's clientDataJSON, attestation object, authenticator data and signature.

// Integration tests: helpers outside #[test] fns may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use harness::authenticator::PresetCredential;
use harness::authenticator::{
    AttestationFormat, AuthenticatorConfig, ClientContext, CounterMode, CredentialKey,
    VirtualAuthenticator, device::CredentialFile,
};
use serde_json::{Value, json};

fn vector(name: &str) -> Value {
    let path = format!(
        "{}/../fixtures/webauthn/w3c/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn bytes(v: &Value, label: &str) -> Vec<u8> {
    hex::decode(v[label].as_str().unwrap_or_else(|| panic!("no {label}"))).unwrap()
}

fn flag(v: &Value, label: &str) -> u8 {
    v.get(label).map_or(0, |_| bytes(v, label)[0])
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(v: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap()
}

/// The client context the vector's generator used: crossOrigin/topOrigin for the vectors
/// named after them, and `extraData` iff bit 0x01 of client_data_gen_flags is set.
fn context(file: &Value, name: &str, ceremony: &Value) -> ClientContext {
    let mut extra = Vec::new();
    if flag(ceremony, "client_data_gen_flags") & 0x01 != 0 {
        let random = b64(&bytes(ceremony, "extra_data_random"));
        let text = format!(
            "clientDataJSON may be extended with additional fields in the future, such as this: {random}"
        );
        extra.push(("extraData".to_owned(), json!(text)));
    }
    ClientContext {
        origin: file["origin"].as_str().unwrap().to_owned(),
        cross_origin: name.ends_with("crossOrigin") || name.ends_with("topOrigin"),
        top_origin: file
            .get("top_origin")
            .and_then(Value::as_str)
            .map(str::to_owned),
        extra_client_data: extra,
        pick_credential: None,
    }
}

fn uv_requirement(uv: bool) -> &'static str {
    if uv { "preferred" } else { "discouraged" }
}

/// The attestation key and certificate of an attested vector, as its manufacturer would
/// have installed them: the key the spec derives and the certificate the spec issued.
fn install_batch(device: &mut VirtualAuthenticator, reg: &Value) {
    let object: ciborium::Value =
        ciborium::from_reader(bytes(reg, "attestation_object").as_slice()).unwrap();
    let statement = object.as_map().unwrap()[1].1.as_map().unwrap();
    let x5c = statement
        .iter()
        .find(|(k, _)| k.as_text() == Some("x5c"))
        .unwrap();
    let certs = x5c
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_bytes().unwrap().clone());
    let key = CredentialKey::from_scalar(&bytes(reg, "attestation_private_key")).unwrap();
    let root = bytes(&vector("attestation-root-cert"), "attestation_ca_cert");
    device.set_attestation(key, certs.collect(), root);
}

fn check(name: &str, format: AttestationFormat) {
    let file = vector(name);
    let reg = &file["registration"];
    let flags = flag(reg, "auth_data_uv_be_bs");
    let config = AuthenticatorConfig {
        aaguid: bytes(reg, "aaguid").try_into().unwrap(),
        attestation: format,
        counter: CounterMode::AlwaysZero,
        uv_succeeds: flags & 0x04 != 0,
        backup_eligible: flags & 0x08 != 0,
        backup_state: flags & 0x10 != 0,
        ..AuthenticatorConfig::platform_passkey()
    };
    let mut device = VirtualAuthenticator::with_seed(config, 0).unwrap();
    if format.has_x5c() {
        install_batch(&mut device, reg);
    }
    let key = CredentialKey::from_scalar(&bytes(reg, "credential_private_key")).unwrap();
    let id = bytes(reg, "credential_id");
    device.preset_next_credential(PresetCredential {
        key,
        id: id.clone(),
    });
    let options = json!({
        "rp": {"id": file["rp_id"], "name": "Example"},
        "user": {"id": "AQ", "name": "user", "displayName": "User"},
        "challenge": b64(&bytes(reg, "challenge")),
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        "authenticatorSelection": {"userVerification": uv_requirement(flags & 0x04 != 0)},
        "attestation": "direct",
    });
    let ctx = context(&file, name, reg);
    let created = device.create_in(&options.to_string(), &ctx).unwrap();
    let response = &created["response"];
    assert_eq!(
        unb64(&response["clientDataJSON"]),
        bytes(reg, "client_data_json"),
        "{name}"
    );
    assert_eq!(
        hex::encode(unb64(&response["attestationObject"])),
        hex::encode(bytes(reg, "attestation_object")),
        "{name} attestation object"
    );

    let auth = &file["authentication"];
    let flags = flag(auth, "auth_data_uv_bs");
    device.config_mut().uv_succeeds = flags & 0x04 != 0;
    device.config_mut().backup_state = flags & 0x10 != 0;
    let options = json!({
        "challenge": b64(&bytes(auth, "challenge")),
        "rpId": file["rp_id"],
        "allowCredentials": [{"type": "public-key", "id": b64(&id)}],
        "userVerification": uv_requirement(flags & 0x04 != 0),
    });
    let ctx = context(&file, name, auth);
    let got = device.get_in(&options.to_string(), &ctx).unwrap();
    let response = &got["response"];
    assert_eq!(
        unb64(&response["clientDataJSON"]),
        bytes(auth, "client_data_json"),
        "{name}"
    );
    assert_eq!(
        hex::encode(unb64(&response["authenticatorData"])),
        hex::encode(bytes(auth, "authenticator_data")),
        "{name} authenticator data"
    );
    assert_eq!(
        hex::encode(unb64(&response["signature"])),
        hex::encode(bytes(auth, "signature")),
        "{name} signature"
    );
}

#[test]
fn none_es256() {
    check("none-es256", AttestationFormat::None);
}

#[test]
fn packed_self_es256() {
    check("packed-self-es256", AttestationFormat::PackedSelf);
}

#[test]
fn none_es256_cross_origin() {
    check("none-es256-crossOrigin", AttestationFormat::None);
}

#[test]
fn none_es256_top_origin() {
    check("none-es256-topOrigin", AttestationFormat::None);
}

#[test]
fn none_es256_long_credential_id() {
    check("none-es256-long-credential-id", AttestationFormat::None);
}

#[test]
fn packed_x5c_es256_with_the_spec_batch_certificate() {
    check("packed-es256", AttestationFormat::PackedX5c);
}

#[test]
fn fido_u2f_es256_with_the_spec_batch_certificate() {
    check("fido-u2f-es256", AttestationFormat::FidoU2f);
}

/// The credential exported from the vector device imports into a second device (a synced
/// passkey) and signs the vector's assertion identically.
#[test]
fn exported_credential_signs_the_same_on_a_second_device() {
    let file = vector("none-es256");
    let reg = &file["registration"];
    let key = CredentialKey::from_scalar(&bytes(reg, "credential_private_key")).unwrap();
    let exported = CredentialFile {
        id: b64(&bytes(reg, "credential_id")),
        rp_id: "example.org".into(),
        user_handle: "AQ".into(),
        user_name: "user".into(),
        user_display_name: "User".into(),
        discoverable: true,
        private_key: b64(&key.to_pkcs8_der()),
        sign_count: 0,
        backup_eligible: true,
    };
    let config = AuthenticatorConfig {
        counter: CounterMode::AlwaysZero,
        uv_succeeds: false,
        backup_state: true,
        ..AuthenticatorConfig::platform_passkey()
    };
    let mut phone = VirtualAuthenticator::with_seed(config, 9).unwrap();
    let credential = harness::authenticator::Credential::from_file(&exported).unwrap();
    phone.import_credential(credential);
    let auth = &file["authentication"];
    let options = json!({"challenge": b64(&bytes(auth, "challenge")), "rpId": "example.org"});
    let got = phone
        .get(&options.to_string(), "https://example.org")
        .unwrap();
    assert_eq!(
        hex::encode(unb64(&got["response"]["signature"])),
        hex::encode(bytes(auth, "signature"))
    );
    assert_eq!(unb64(&got["response"]["userHandle"]), vec![1]);
}
