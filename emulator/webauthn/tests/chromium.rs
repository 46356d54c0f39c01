//! Responses captured from Chromium's virtual authenticator (fixtures/webauthn/chromium):
//! registration and authentication are accepted with the captured options and origin.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

mod common;

use common::*;
use emulator_webauthn::json::{
    AuthenticationResponseJson, CreationOptionsJson, RegistrationResponseJson, RequestOptionsJson,
};
use emulator_webauthn::{
    AttestationPolicy, AttestationType, AuthenticationState, CredentialRecord, Error,
    RegistrationState, RelyingParty, RpConfig, Trace,
};
use serde::de::DeserializeOwned;

fn load<T: DeserializeOwned>(case: &str, file: &str) -> T {
    let path = fixtures().join("chromium").join(case).join(file);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json")
}

fn config() -> RpConfig {
    let capture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("chromium/capture.json")).expect("capture.json"),
    )
    .expect("json");
    let rp_id = capture["rp_id"].as_str().expect("rp_id");
    RpConfig::new(rp_id, capture["origin"].as_str().expect("origin"))
}

fn register(rp: &RelyingParty, case: &str) -> Result<CredentialRecord, Error> {
    let options: CreationOptionsJson = load(case, "registration-options.json");
    let response: RegistrationResponseJson = load(case, "registration-response.json");
    let state = RegistrationState::from_options(&options);
    rp.verify_registration(
        &state,
        &response,
        NOW_MS,
        &|_| false,
        &mut Trace::disabled(),
    )
}

fn authenticate(rp: &RelyingParty, case: &str, record: &mut CredentialRecord) -> Result<(), Error> {
    let options: RequestOptionsJson = load(case, "authentication-options.json");
    let response: AuthenticationResponseJson = load(case, "authentication-response.json");
    let state = AuthenticationState::from_options(&options);
    rp.verify_authentication(&state, &response, record, NOW_MS, &mut Trace::disabled())
        .map(drop)
}

fn check(case: &str, format: &str, type_: AttestationType) {
    let rp = rp(config());
    let mut record = register(&rp, case).unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(
        (record.attestation_format.as_str(), record.attestation_type),
        (format, type_)
    );
    assert!(
        record.uv_initialized,
        "{case}: the virtual authenticator verifies the user"
    );
    let before = record.sign_count;
    authenticate(&rp, case, &mut record).unwrap_or_else(|e| panic!("{case}: {e}"));
    assert!(record.sign_count > before, "{case}: counter advanced");
    // Replaying the same assertion now trips the counter check.
    assert_eq!(
        authenticate(&rp, case, &mut record).map_err(|e| e.check()),
        Err("CounterRegression"),
        "{case}"
    );
}

#[test]
fn chromium_none_is_accepted() {
    check("none", "none", AttestationType::None);
}

#[test]
fn chromium_direct_packed_x5c_is_accepted() {
    check("direct", "packed", AttestationType::Basic);
}

#[test]
fn chromium_batch_certificate_as_trusted_root() {
    // Chromium's batch certificate is self-signed: configured as a root, the chain is trusted.
    let response: RegistrationResponseJson = load("direct", "registration-response.json");
    let object = emulator_webauthn::encoding::unb64(
        "attestationObject",
        &response.response.attestation_object,
    )
    .expect("b64");
    let value: ciborium::Value = ciborium::from_reader(object.as_slice()).expect("cbor");
    let map = value.as_map().expect("map");
    let stmt = map
        .iter()
        .find(|(k, _)| k.as_text() == Some("attStmt"))
        .expect("attStmt")
        .1
        .as_map()
        .expect("map");
    let x5c = stmt
        .iter()
        .find(|(k, _)| k.as_text() == Some("x5c"))
        .expect("x5c")
        .1
        .as_array()
        .expect("array");
    let mut config = config();
    config.attestation = AttestationPolicy::RequireTrustedRoot;
    config.trust_roots = vec![x5c[0].as_bytes().expect("der").clone()];
    let record = register(&rp(config.clone()), "direct").expect("trusted");
    assert!(
        record
            .attestation_root
            .as_deref()
            .is_some_and(|s| s.contains("Batch Certificate"))
    );
    // `none` is refused under the same policy.
    assert_eq!(
        register(&rp(config), "none").map_err(|e| e.check()).err(),
        Some("AttestationTypeRefused")
    );
}

#[test]
fn chromium_responses_need_their_origin() {
    let mut config = config();
    config.origins = vec!["http://localhost:1".to_owned()];
    assert_eq!(
        register(&rp(config), "none").map_err(|e| e.check()).err(),
        Some("OriginMismatch")
    );
}
