//! Interoperability with Chromium's virtual authenticator: a credential Chromium made
//! (captured over WebDriver, fixtures/authenticator) imports into a virtual authenticator,
//! whose assertions webauthn-rs then accepts against Chromium's own registration.

// Integration tests: helpers outside #[test] fns may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Rp;
use harness::authenticator::{AuthenticatorConfig, CounterMode, Credential, VirtualAuthenticator};
use serde_json::Value;
use webauthn_rs::prelude::*;

fn capture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/authenticator/chromium-credential.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// webauthn-rs registers Chromium's captured response: the state is started normally, then
/// its challenge is set to the captured one (the state is serialisable for this purpose).
fn register_captured(rp: &Rp, capture: &Value) -> Passkey {
    let (_, state) = rp
        .wa
        .start_passkey_registration(common::user_id("chromium"), "c", "C", None)
        .unwrap();
    let mut state = serde_json::to_value(&state).unwrap();
    let challenge = capture["creation_options"]["challenge"].clone();
    state["rs"]["challenge"] = challenge;
    let state: PasskeyRegistration = serde_json::from_value(state).unwrap();
    let response = serde_json::from_value(capture["registration_response"].clone()).unwrap();
    rp.wa
        .finish_passkey_registration(&response, &state)
        .unwrap()
}

#[test]
fn chromium_credential_signs_in_from_a_virtual_authenticator() {
    let capture = capture();
    let origin = capture["origin"].as_str().unwrap();
    let rp = Rp::at("localhost", origin);
    let passkey = register_captured(&rp, &capture);

    let credential = Credential::from_webdriver(&capture["webdriver_credential"]).unwrap();
    let spki = capture["registration_response"]["response"]["publicKey"]
        .as_str()
        .unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    assert_eq!(credential.key.public_spki_der(), b64.decode(spki).unwrap());
    assert_eq!((credential.sign_count, credential.discoverable), (1, true));

    let config = AuthenticatorConfig {
        counter: CounterMode::PerCredential,
        backup_eligible: false,
        ..AuthenticatorConfig::platform_passkey()
    };
    let mut device = VirtualAuthenticator::with_seed(config, 1).unwrap();
    device.import_credential(credential);
    let result = rp.login_at(&mut device, &passkey, origin).unwrap();
    assert_eq!(result.counter(), 2, "continues from Chromium's signCount 1");
    assert!(result.user_verified());
    // And back: the WebDriver body Chromium would import carries the same key.
    let back = device.credentials()[0].to_webdriver();
    assert_eq!(
        back["privateKey"],
        capture["webdriver_credential"]["privateKey"]
    );
}
