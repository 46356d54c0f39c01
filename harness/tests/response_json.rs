//! The registration JSON has every member `PublicKeyCredential.toJSON()` gives, consistent
//! with itself (SPKI public key = COSE key in the authenticator data, authenticatorData = the
//! authData inside the attestation object), and the client applies attestation conveyance.

// Integration tests: helpers outside #[test] fns may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ciborium::Value;
use harness::authenticator::{AuthenticatorConfig, VirtualAuthenticator};
use serde_json::json;

fn unb64(v: &serde_json::Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap()
}

fn options(attestation: &str, cred_props: bool) -> String {
    json!({
        "rp": {"id": "localhost", "name": "Local"},
        "user": {"id": "AQID", "name": "a", "displayName": "A"},
        "challenge": "AAAA",
        "pubKeyCredParams": [{"type": "public-key", "alg": -8}, {"type": "public-key", "alg": -7}],
        "attestation": attestation,
        "extensions": {"credProps": cred_props},
    })
    .to_string()
}

fn map_get<'a>(map: &'a Value, key: &str) -> &'a Value {
    let entries = map.as_map().unwrap();
    &entries
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .unwrap()
        .1
}

/// Registers with a security key and returns (response JSON, fmt, attStmt, authData).
fn register(attestation: &str, cred_props: bool) -> (serde_json::Value, String, Value, Vec<u8>) {
    let mut key = VirtualAuthenticator::with_seed(AuthenticatorConfig::security_key(), 5).unwrap();
    let made = key
        .create(&options(attestation, cred_props), "http://localhost:3000")
        .unwrap();
    let object: Value =
        ciborium::from_reader(unb64(&made["response"]["attestationObject"]).as_slice()).unwrap();
    let fmt = map_get(&object, "fmt").as_text().unwrap().to_owned();
    let statement = map_get(&object, "attStmt").clone();
    let auth_data = map_get(&object, "authData").as_bytes().unwrap().clone();
    (made, fmt, statement, auth_data)
}

#[test]
fn registration_json_is_complete_and_consistent() {
    let (made, fmt, statement, auth_data) = register("direct", true);
    assert_eq!(made["id"], made["rawId"]);
    assert_eq!(made["type"], "public-key");
    assert_eq!(made["authenticatorAttachment"], "cross-platform");
    assert_eq!(
        made["clientExtensionResults"],
        json!({"credProps": {"rk": false}})
    );
    let response = &made["response"];
    assert_eq!(response["transports"], json!(["nfc", "usb"]));
    assert_eq!(
        response["publicKeyAlgorithm"], -7,
        "ES256 chosen over the unsupported -8"
    );
    assert_eq!(unb64(&response["authenticatorData"]), auth_data);
    assert_eq!(fmt, "packed");
    assert_eq!(map_get(&statement, "x5c").as_array().unwrap().len(), 1);

    // The SPKI ends with the uncompressed point; the COSE key carries the same x and y.
    let spki = unb64(&response["publicKey"]);
    let point = &spki[spki.len() - 65..];
    let id_len = usize::from(u16::from_be_bytes([auth_data[53], auth_data[54]]));
    assert_eq!(unb64(&made["id"]).len(), id_len);
    let cose: Value = ciborium::from_reader(&auth_data[55 + id_len..]).unwrap();
    let coord = |label: i64| {
        let entries = cose.as_map().unwrap();
        let found = entries
            .iter()
            .find(|(k, _)| k.as_integer() == Some(label.into()));
        found.unwrap().1.as_bytes().unwrap().clone()
    };
    assert_eq!(point[0], 0x04);
    assert_eq!(&point[1..33], coord(-2).as_slice());
    assert_eq!(&point[33..65], coord(-3).as_slice());
}

#[test]
fn none_conveyance_strips_the_certificate_but_keeps_the_aaguid() {
    let (made, fmt, statement, auth_data) = register("none", false);
    assert_eq!(fmt, "none");
    assert_eq!(statement, Value::Map(vec![]));
    assert_eq!(
        &auth_data[37..53],
        &[0x5e; 16],
        "AAGUID kept, as Chromium does"
    );
    assert_eq!(made["clientExtensionResults"], json!({}));
}
