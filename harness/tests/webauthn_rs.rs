//! Every kind of output the virtual authenticator makes, accepted by an independent relying
//! party: webauthn-rs 0.6 (none, packed self, packed x5c with its root trusted, fido-u2f, UV
//! required, discoverable login with userHandle, and each counter mode as webauthn-rs sees it).

// Integration tests: helpers outside #[test] fns may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{ORIGIN, Rp};
use harness::authenticator::{
    AttestationFormat, AuthenticatorConfig, CounterMode, ErrorName, VirtualAuthenticator,
};
use webauthn_rs::prelude::*;

fn platform(seed: u64) -> VirtualAuthenticator {
    VirtualAuthenticator::with_seed(AuthenticatorConfig::platform_passkey(), seed).unwrap()
}

fn with(config: AuthenticatorConfig) -> VirtualAuthenticator {
    VirtualAuthenticator::with_seed(config, 7).unwrap()
}

#[test]
fn none_attestation_passkey_registers_and_signs_in_with_uv() {
    let rp = Rp::new();
    let mut device = platform(1);
    let passkey = rp.register_passkey(&mut device, "alice");
    let result = rp.login(&mut device, &passkey).unwrap();
    assert!(
        result.user_verified(),
        "passkey login requires and reports UV"
    );
    assert!(result.backup_eligible() && result.backup_state());
    assert_eq!(result.counter(), 0);
}

#[test]
fn packed_self_attestation_is_verified() {
    let rp = Rp::new();
    let config = AuthenticatorConfig {
        attestation: AttestationFormat::PackedSelf,
        aaguid: [0; 16],
        ..AuthenticatorConfig::platform_passkey()
    };
    let mut device = with(config);
    let passkey = rp.register_passkey(&mut device, "bob");
    rp.login(&mut device, &passkey).unwrap();
}

#[test]
fn packed_x5c_chains_to_the_registered_root() {
    let rp = Rp::new();
    let mut device = with(AuthenticatorConfig::security_key());
    let root = device.attestation_root_der().unwrap().unwrap();
    let aaguid = Uuid::from_bytes(device.config().aaguid);
    let key = rp.register_attested(&mut device, &root, aaguid).unwrap();
    match key.attestation().data {
        ParsedAttestationData::Basic(ref chain) => assert_eq!(chain.len(), 1),
        ref other => panic!("expected basic attestation, got {other:?}"),
    }
    let (rcr, state) = rp
        .wa
        .start_attested_passkey_authentication(std::slice::from_ref(&key))
        .unwrap();
    let response = device
        .get(&serde_json::to_string(&rcr).unwrap(), ORIGIN)
        .unwrap();
    let result = rp
        .wa
        .finish_attested_passkey_authentication(&serde_json::from_value(response).unwrap(), &state)
        .unwrap();
    assert_eq!(
        result.counter(),
        2,
        "per-credential counter: 1 at registration, 2 now"
    );
}

#[test]
fn packed_x5c_is_rejected_against_another_root() {
    let rp = Rp::new();
    let mut device = with(AuthenticatorConfig::security_key());
    let mut other =
        VirtualAuthenticator::with_seed(AuthenticatorConfig::security_key(), 8).unwrap();
    let wrong_root = other.attestation_root_der().unwrap().unwrap();
    let aaguid = Uuid::from_bytes(device.config().aaguid);
    let err = rp
        .register_attested(&mut device, &wrong_root, aaguid)
        .unwrap_err();
    assert!(
        matches!(err, WebauthnError::AttestationChainNotTrusted(_)),
        "{err:?}"
    );
}

#[test]
fn fido_u2f_security_key_registers_and_authenticates() {
    let rp = Rp::new();
    let mut device = with(AuthenticatorConfig::u2f_key());
    let root = device.attestation_root_der().unwrap().unwrap();
    // U2F devices have no AAGUID: trust the root for every device under it (blanket allow).
    let ca_list = AttestationCaList::try_from(common::pem(&root).as_bytes()).unwrap();
    let (ccr, state) = rp
        .wa
        .start_securitykey_registration(
            Uuid::from_bytes([2; 16]),
            "carol",
            "Carol",
            None,
            Some(ca_list),
            None,
        )
        .unwrap();
    let response = device
        .create(&serde_json::to_string(&ccr).unwrap(), ORIGIN)
        .unwrap();
    let key = rp
        .wa
        .finish_securitykey_registration(&serde_json::from_value(response).unwrap(), &state)
        .unwrap();
    assert!(
        matches!(key.attestation().data, ParsedAttestationData::Basic(_)),
        "{:?}",
        key.attestation().data
    );
    let (rcr, state) = rp.wa.start_securitykey_authentication(&[key]).unwrap();
    let response = device
        .get(&serde_json::to_string(&rcr).unwrap(), ORIGIN)
        .unwrap();
    let result = rp
        .wa
        .finish_securitykey_authentication(&serde_json::from_value(response).unwrap(), &state)
        .unwrap();
    assert!(!result.user_verified());
    assert_eq!(
        result.counter(),
        2,
        "global counter: registration 1, assertion 2"
    );
}

#[test]
fn discoverable_login_returns_the_user_handle() {
    let rp = Rp::new();
    let mut device = platform(3);
    let passkey = rp.register_passkey(&mut device, "dave");
    let (rcr, state) = rp.wa.start_discoverable_authentication().unwrap();
    let json = serde_json::to_string(&rcr).unwrap();
    assert!(
        !json.contains("allowCredentials\":[{"),
        "discoverable request lists no credential"
    );
    let response: PublicKeyCredential =
        serde_json::from_value(device.get(&json, ORIGIN).unwrap()).unwrap();
    let (user, cred_id) = rp
        .wa
        .identify_discoverable_authentication(&response)
        .unwrap();
    assert_eq!(user, common::user_id("dave"));
    assert_eq!(cred_id, passkey.cred_id().as_slice());
    let result = rp
        .wa
        .finish_discoverable_authentication_v2(&response, state, &passkey)
        .unwrap();
    assert!(result.user_verified());
}

#[test]
fn uv_required_with_a_device_that_cannot_verify_is_not_allowed() {
    let rp = Rp::new();
    let config = AuthenticatorConfig {
        uv_capable: false,
        ..AuthenticatorConfig::platform_passkey()
    };
    let mut device = with(config);
    let (ccr, _state) = rp
        .wa
        .start_passkey_registration(common::user_id("erin"), "erin", "Erin", None)
        .unwrap();
    let err = device
        .create(&serde_json::to_string(&ccr).unwrap(), ORIGIN)
        .unwrap_err();
    assert_eq!(err.name, ErrorName::NotAllowedError);
    assert!(err.reason.contains("user verification required"), "{err}");
}

/// Counter modes as webauthn-rs reports them over three logins.
fn counters(mode: CounterMode) -> Vec<Result<u32, String>> {
    let rp = Rp::new();
    let config = AuthenticatorConfig {
        counter: mode,
        ..AuthenticatorConfig::platform_passkey()
    };
    let mut device = with(config);
    let mut passkey = rp.register_passkey(&mut device, "frank");
    (0..3)
        .map(|_| match rp.login(&mut device, &passkey) {
            Ok(result) => {
                passkey.update_credential(&result);
                Ok(result.counter())
            }
            Err(e) => Err(format!("{e:?}")),
        })
        .collect()
}

#[test]
fn counter_modes_as_webauthn_rs_reports_them() {
    assert_eq!(
        counters(CounterMode::PerCredential),
        vec![Ok(2), Ok(3), Ok(4)]
    );
    assert_eq!(counters(CounterMode::Global), vec![Ok(2), Ok(3), Ok(4)]);
    assert_eq!(counters(CounterMode::AlwaysZero), vec![Ok(0), Ok(0), Ok(0)]);
    let clone = Err("CredentialPossibleCompromise".to_owned());
    assert_eq!(
        counters(CounterMode::Cloned),
        vec![clone.clone(), clone.clone(), clone]
    );
}

#[test]
fn global_counter_is_shared_by_credentials() {
    let rp = Rp::new();
    let config = AuthenticatorConfig {
        counter: CounterMode::Global,
        ..AuthenticatorConfig::platform_passkey()
    };
    let mut device = with(config);
    let first = rp.register_passkey(&mut device, "gina"); // counter 1
    let second = rp.register_passkey(&mut device, "hank"); // counter 2
    assert_eq!(rp.login(&mut device, &first).unwrap().counter(), 3);
    assert_eq!(rp.login(&mut device, &second).unwrap().counter(), 4);
}

#[test]
fn synced_copy_on_a_second_device_signs_in() {
    let rp = Rp::new();
    let mut phone = platform(4);
    let passkey = rp.register_passkey(&mut phone, "ivy");
    let mut laptop = platform(5);
    let copy = phone.credentials()[0].to_file();
    let credential = harness::authenticator::Credential::from_file(&copy).unwrap();
    laptop.import_credential(credential);
    rp.login(&mut laptop, &passkey).unwrap();
    // The device file round-trips, credentials and RNG position included.
    let restored = VirtualAuthenticator::from_json(&laptop.to_json()).unwrap();
    assert_eq!(restored.to_json(), laptop.to_json());
}

/// The project's default IdP address: an http `*.localhost` origin with its own RP ID.
#[test]
fn idp_localhost_origin_is_a_secure_context() {
    let origin = "http://idp.localhost:9230";
    let rp = Rp::at("idp.localhost", origin);
    let mut device = platform(6);
    let passkey = rp.try_register_passkey(&mut device, "kim", origin).unwrap();
    rp.login_at(&mut device, &passkey, origin).unwrap();
}
