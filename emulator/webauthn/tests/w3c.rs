//! The W3C WebAuthn Level 3 test vectors: every vector with a supported algorithm and format
//! registers and authenticates; the others fail with the check that names why.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

mod common;

use common::*;
use emulator_webauthn::encoding::b64;
use emulator_webauthn::{
    Alg, AttestationPolicy, AttestationType, AuthenticationState, CredentialRecord, Error,
    RegistrationState, RelyingParty, Trace, UserVerification,
};

const USER: &[u8] = b"w3c-user";

fn register(rp: &RelyingParty, name: &str) -> Result<CredentialRecord, Error> {
    let v = w3c(name);
    let state = RegistrationState {
        challenge: b64(&w3c_bytes(&v, "registration", "challenge")),
        user_id: b64(USER),
        user_verification: UserVerification::Preferred,
        algorithms: Alg::ALL
            .iter()
            .map(|a| a.cose_id())
            .chain([-53, -19])
            .collect(),
        extensions: Vec::new(),
        expires_at_ms: NOW_MS + 1,
    };
    let response = registration_response(
        &w3c_bytes(&v, "registration", "credential_id"),
        &w3c_bytes(&v, "registration", "client_data_json"),
        &w3c_bytes(&v, "registration", "attestation_object"),
    );
    rp.verify_registration(
        &state,
        &response,
        NOW_MS,
        &|_| false,
        &mut Trace::disabled(),
    )
}

fn authenticate(rp: &RelyingParty, name: &str, record: &mut CredentialRecord) -> Result<(), Error> {
    let v = w3c(name);
    let state = AuthenticationState {
        challenge: b64(&w3c_bytes(&v, "authentication", "challenge")),
        allow_credentials: vec![b64(&record.id)],
        user_verification: UserVerification::Preferred,
        expires_at_ms: NOW_MS + 1,
    };
    let response = authentication_response(
        &record.id.clone(),
        &w3c_bytes(&v, "authentication", "client_data_json"),
        &w3c_bytes(&v, "authentication", "authenticator_data"),
        &w3c_bytes(&v, "authentication", "signature"),
        None,
    );
    rp.verify_authentication(&state, &response, record, NOW_MS, &mut Trace::disabled())
        .map(drop)
}

/// `expect`: the attestation type, or the check that rejects the registration.
fn check(name: &str, expect: Result<(AttestationType, Alg), &str>) {
    let rp = rp(w3c_config());
    match (register(&rp, name), expect) {
        (Ok(mut record), Ok((type_, alg))) => {
            assert_eq!(
                (record.attestation_type, record.public_key.alg()),
                (type_, alg),
                "{name}"
            );
            let aaguid = w3c_bytes(&w3c(name), "registration", "aaguid");
            assert_eq!(record.aaguid.to_vec(), aaguid, "{name}: aaguid");
            if type_ == AttestationType::Basic {
                assert!(
                    record.attestation_root.is_some(),
                    "{name}: chain to the W3C root"
                );
            }
            authenticate(&rp, name, &mut record).unwrap_or_else(|e| panic!("{name}: {e}"));
            // The record survives storage as JSON, key included.
            let mut stored = CredentialRecord::from_json(&record.to_json()).expect("round trip");
            assert_eq!(stored, record);
            authenticate(&rp, name, &mut stored).unwrap_or_else(|e| panic!("{name} (stored): {e}"));
        }
        (Err(e), Err(check)) => assert_eq!(e.check(), check, "{name}: {e}"),
        (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn supported_vectors_register_and_authenticate() {
    use AttestationType::*;
    check("none-es256", Ok((None, Alg::Es256)));
    check("packed-self-es256", Ok((SelfAttestation, Alg::Es256)));
    check("none-es256-crossOrigin", Ok((None, Alg::Es256)));
    check("none-es256-topOrigin", Ok((None, Alg::Es256)));
    check("none-es256-long-credential-id", Ok((None, Alg::Es256)));
    check("packed-es256", Ok((Basic, Alg::Es256)));
    check("packed-es384", Ok((Basic, Alg::Es384)));
    check("packed-es512", Ok((Basic, Alg::Es512)));
    check("packed-rs256", Ok((Basic, Alg::Rs256)));
    check("packed-eddsa", Ok((Basic, Alg::EdDsa)));
    check("fido-u2f-es256", Ok((Basic, Alg::Es256)));
}

#[test]
fn unsupported_vectors_name_the_reason() {
    check("packed-ed448", Err("UnsupportedAlgorithm"));
    check("tpm-es256", Err("UnsupportedFormat"));
    check("android-key-es256", Err("UnsupportedFormat"));
    check("apple-es256", Err("UnsupportedFormat"));
}

#[test]
fn long_credential_id_is_1023_bytes() {
    let v = w3c("none-es256-long-credential-id");
    assert_eq!(w3c_bytes(&v, "registration", "credential_id").len(), 1023);
}

#[test]
fn cross_origin_vectors_need_the_relying_party_to_allow_it() {
    let mut config = w3c_config();
    config.allow_cross_origin = false;
    let strict = rp(config.clone());
    assert_eq!(
        register(&strict, "none-es256-crossOrigin").map(drop),
        Err(Error::CrossOriginNotAllowed)
    );
    config.allow_cross_origin = true;
    config.top_origins.clear();
    let e = register(&rp(config), "none-es256-topOrigin").expect_err("topOrigin not allowed");
    assert_eq!(e.check(), "TopOriginMismatch");
}

#[test]
fn trust_policies_on_the_vectors() {
    let mut config = w3c_config();
    config.attestation = AttestationPolicy::RequireTrustedRoot;
    let strict = rp(config.clone());
    let record = register(&strict, "packed-es256").expect("x5c chains to the W3C root");
    assert!(
        record
            .attestation_root
            .as_deref()
            .is_some_and(|s| s.contains("WebAuthn test vectors"))
    );
    let e = register(&strict, "packed-self-es256").expect_err("self is not a chain");
    assert_eq!(e.check(), "AttestationTypeRefused");
    config.attestation = AttestationPolicy::RefuseAttestation;
    let refuse = rp(config.clone());
    assert!(register(&refuse, "none-es256").is_ok());
    assert_eq!(
        register(&refuse, "packed-es256")
            .map(drop)
            .map_err(|e: Error| e.check().to_owned()),
        Err("AttestationTypeRefused".to_owned())
    );
    // A different root: the W3C chain is untrusted.
    config.attestation = AttestationPolicy::RequireTrustedRoot;
    config.trust_roots = vec![other_certificate()];
    let other = rp(config);
    assert_eq!(
        register(&other, "packed-es256")
            .map(drop)
            .map_err(|e: Error| e.check().to_owned()),
        Err("AttestationUntrusted".to_owned())
    );
}

/// A valid certificate that is neither the W3C root nor in packed-es256's chain: the ES384
/// vector's attestation certificate.
fn other_certificate() -> Vec<u8> {
    let v = w3c("packed-es384");
    let object = w3c_bytes(&v, "registration", "attestation_object");
    let value: ciborium::Value = ciborium::from_reader(object.as_slice()).expect("cbor");
    let stmt = value
        .as_map()
        .expect("map")
        .iter()
        .find(|(k, _)| k.as_text() == Some("attStmt"))
        .expect("stmt")
        .1
        .clone();
    let x5c = stmt
        .as_map()
        .expect("map")
        .iter()
        .find(|(k, _)| k.as_text() == Some("x5c"))
        .expect("x5c")
        .1
        .clone();
    x5c.as_array().expect("array")[0]
        .as_bytes()
        .expect("der")
        .clone()
}
