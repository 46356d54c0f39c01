//! An independent authenticator: webauthn-authenticator-rs's SoftPasskey (packed self
//! attestation) and SoftToken (packed x5c from its own CA) answer our options, and we accept.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

mod common;

use crypto_glue::traits::EncodeDer as _;
use emulator_webauthn::json::{AuthenticationResponseJson, RegistrationResponseJson};
use emulator_webauthn::{
    AttestationPolicy, AttestationType, AuthenticationRequest, ChallengeRegistry, CredentialRecord,
    RegistrationRequest, RelyingParty, RpConfig, UserVerification,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use webauthn_authenticator_rs::prelude::*;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::softtoken::SoftToken;

const ORIGIN: &str = "https://example.org";
/// webauthn-authenticator-rs serialises the origin as a URL, with a trailing slash; browsers
/// never do, and origins are compared exactly, so the relying party lists that spelling too.
const PEER_ORIGIN: &str = "https://example.org/";

fn config() -> RpConfig {
    let mut config = RpConfig::new("example.org", ORIGIN);
    config.origins.push(PEER_ORIGIN.to_owned());
    config
}
/// SoftToken issues its certificates at the current time, so these ceremonies run "now".
fn now() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock");
    u64::try_from(since.as_millis()).expect("ms")
}

/// Our options JSON, as the peer's `{"publicKey": ...}` type.
fn wrap<T: serde::de::DeserializeOwned>(options: &impl serde::Serialize) -> T {
    serde_json::from_value(serde_json::json!({ "publicKey": options }))
        .expect("peer accepts our options")
}

fn origin() -> Url {
    Url::parse(ORIGIN).expect("url")
}

fn register(
    rp: &RelyingParty,
    challenges: &mut ChallengeRegistry,
    peer: &mut impl WebauthnAuthenticator,
) -> CredentialRecord {
    try_register(rp, challenges, peer).unwrap_or_else(|e| panic!("registration rejected: {e}"))
}

fn try_register(
    rp: &RelyingParty,
    challenges: &mut ChallengeRegistry,
    peer: &mut impl WebauthnAuthenticator,
) -> Result<CredentialRecord, emulator_webauthn::Error> {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let request = RegistrationRequest {
        user_id: b"peer-user".to_vec(),
        user_name: "peer@example.org".to_owned(),
        display_name: "Peer".to_owned(),
        attestation: Some("direct".to_owned()),
        // The soft authenticators keep no resident credentials.
        resident_key: Some("discouraged".to_owned()),
        ..Default::default()
    };
    let (options, state) = rp.start_registration(challenges, &mut rng, now(), &request);
    let credential = peer
        .do_registration(origin(), wrap(&options))
        .expect("peer registers");
    let text = serde_json::to_string(&credential).expect("json");
    let response = RegistrationResponseJson::from_json(&text).expect("RegistrationResponseJSON");
    rp.finish_registration(challenges, state, &response, now() + 1, &|_| false)
}

fn authenticate(
    rp: &RelyingParty,
    challenges: &mut ChallengeRegistry,
    peer: &mut impl WebauthnAuthenticator,
    record: &mut CredentialRecord,
) {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let request = AuthenticationRequest {
        allow_credentials: vec![(record.id.clone(), Vec::new())],
        user_verification: Some(UserVerification::Required),
    };
    let (options, state) = rp.start_authentication(challenges, &mut rng, now(), &request);
    let credential = peer
        .do_authentication(origin(), wrap(&options))
        .expect("peer asserts");
    let text = serde_json::to_string(&credential).expect("json");
    let response =
        AuthenticationResponseJson::from_json(&text).expect("AuthenticationResponseJSON");
    let before = record.sign_count;
    let outcome = rp
        .finish_authentication(challenges, state, &response, record, now() + 2)
        .unwrap_or_else(|e| panic!("authentication rejected: {e}"));
    assert!(outcome.user_verified && !outcome.counter_regressed);
    assert!(record.sign_count > before, "counter advances");
}

#[test]
fn soft_passkey_self_attestation() {
    let rp = RelyingParty::new(config()).expect("config");
    let mut challenges = ChallengeRegistry::new();
    let mut peer = SoftPasskey::new(true);
    let mut record = register(&rp, &mut challenges, &mut peer);
    assert_eq!(record.attestation_type, AttestationType::SelfAttestation);
    // Without the peer's spelling of the origin, the exact-origin check names the difference.
    let strict = RelyingParty::new(RpConfig::new("example.org", ORIGIN)).expect("config");
    let e = try_register(
        &strict,
        &mut ChallengeRegistry::new(),
        &mut SoftPasskey::new(true),
    );
    assert_eq!(e.map(drop).map_err(|e| e.check()), Err("OriginMismatch"));
    authenticate(&rp, &mut challenges, &mut peer, &mut record);
    authenticate(&rp, &mut challenges, &mut peer, &mut record);
}

#[test]
fn soft_token_x5c_chains_to_its_ca() {
    let (mut peer, ca) = SoftToken::new(true).expect("soft token");
    let mut config = config();
    config.attestation = AttestationPolicy::RequireTrustedRoot;
    config.trust_roots = vec![ca.to_der().expect("ca der")];
    let rp = RelyingParty::new(config).expect("config");
    let mut challenges = ChallengeRegistry::new();
    let mut record = register(&rp, &mut challenges, &mut peer);
    assert_eq!(
        (record.attestation_format.as_str(), record.attestation_type),
        ("packed", AttestationType::Basic)
    );
    assert!(record.attestation_root.is_some());
    authenticate(&rp, &mut challenges, &mut peer, &mut record);
}
