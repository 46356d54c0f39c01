//! Whole ceremonies through `start_*` / `finish_*`: options as the browser gets them, states
//! that survive serialisation, and single-use, expiring challenges.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

mod common;

use common::forge::*;
use emulator_webauthn::encoding::{b64, sha256};
use emulator_webauthn::json::{CreationOptionsJson, RequestOptionsJson};
use emulator_webauthn::{
    AuthenticationRequest, AuthenticationState, ChallengeRegistry, CredentialRecord,
    RegistrationRequest, RegistrationState, RelyingParty, RpConfig,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const NOW: u64 = common::NOW_MS;

fn rp() -> RelyingParty {
    RelyingParty::new(RpConfig::new(RP_ID, ORIGIN)).expect("config")
}

fn register_response(
    options: &CreationOptionsJson,
    key: &Key,
) -> emulator_webauthn::json::RegistrationResponseJson {
    let id = [4u8; 16];
    let data = auth_data(RP_ID, 0x45, 0, Some((&id, &key.cose(-7))));
    let cdj = client_data("webauthn.create", &options.challenge, ORIGIN);
    common::registration_response(&id, &cdj, &attestation_object("none", vec![], &data))
}

fn registration_request() -> RegistrationRequest {
    RegistrationRequest {
        user_id: b"user-42".to_vec(),
        user_name: "ada@example.com".to_owned(),
        display_name: "Ada".to_owned(),
        ..Default::default()
    }
}

fn registered(
    rp: &RelyingParty,
    challenges: &mut ChallengeRegistry,
    key: &Key,
) -> CredentialRecord {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let (options, state) =
        rp.start_registration(challenges, &mut rng, NOW, &registration_request());
    rp.finish_registration(
        challenges,
        state,
        &register_response(&options, key),
        NOW + 1,
        &|_| false,
    )
    .expect("registration")
}

#[test]
fn options_are_what_the_browser_needs() {
    let mut challenges = ChallengeRegistry::new();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let (options, state) =
        rp().start_registration(&mut challenges, &mut rng, NOW, &registration_request());
    let json = serde_json::to_value(&options).expect("json");
    assert_eq!(json["rp"]["id"], RP_ID);
    assert_eq!(json["user"]["id"], b64(b"user-42"));
    assert_eq!(json["pubKeyCredParams"][0]["alg"], -7);
    assert_eq!(json["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(json["attestation"], "none");
    assert_eq!(options.challenge.len(), 43, "32 random bytes, base64url");
    assert_eq!(state.expires_at_ms, NOW + 300_000);
    // Deterministic for a seeded RNG; states and the registry round-trip through JSON.
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let (again, _) = rp().start_registration(
        &mut ChallengeRegistry::new(),
        &mut rng,
        NOW,
        &registration_request(),
    );
    assert_eq!(again.challenge, options.challenge);
    let text = serde_json::to_string(&state).expect("state");
    assert_eq!(
        serde_json::from_str::<RegistrationState>(&text).expect("state"),
        state
    );
    let text = serde_json::to_string(&challenges).expect("registry");
    assert_eq!(
        serde_json::from_str::<ChallengeRegistry>(&text).expect("registry"),
        challenges
    );
    let parsed: CreationOptionsJson = serde_json::from_value(json).expect("parse back");
    assert_eq!(parsed, options);
}

#[test]
fn registration_challenge_is_single_use_and_expires() {
    let rp = rp();
    let key = Key::new();
    let mut challenges = ChallengeRegistry::new();
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let (options, state) =
        rp.start_registration(&mut challenges, &mut rng, NOW, &registration_request());
    let response = register_response(&options, &key);
    let record =
        rp.finish_registration(&mut challenges, state.clone(), &response, NOW + 1, &|_| {
            false
        });
    assert_eq!(record.expect("first").user_handle, b"user-42");
    let replay =
        rp.finish_registration(&mut challenges, state.clone(), &response, NOW + 2, &|_| {
            false
        });
    assert_eq!(
        replay.map(drop).map_err(|e| e.check()),
        Err("ChallengeReplayed")
    );
    let unknown = rp.finish_registration(
        &mut ChallengeRegistry::new(),
        state,
        &response,
        NOW,
        &|_| false,
    );
    assert_eq!(
        unknown.map(drop).map_err(|e| e.check()),
        Err("ChallengeUnknown")
    );
    let (options, state) =
        rp.start_registration(&mut challenges, &mut rng, NOW, &registration_request());
    let late = NOW + 300_001;
    let expired = rp.finish_registration(
        &mut challenges,
        state,
        &register_response(&options, &key),
        late,
        &|_| false,
    );
    assert_eq!(
        expired.map(drop).map_err(|e| e.check()),
        Err("ChallengeExpired")
    );
}

#[test]
fn authentication_round_trip_and_replay() {
    let rp = rp();
    let key = Key::new();
    let mut challenges = ChallengeRegistry::new();
    let mut record = registered(&rp, &mut challenges, &key);
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let request = AuthenticationRequest {
        allow_credentials: vec![(record.id.clone(), vec!["internal".to_owned()])],
        user_verification: None,
    };
    let (options, state): (RequestOptionsJson, AuthenticationState) =
        rp.start_authentication(&mut challenges, &mut rng, NOW, &request);
    assert_eq!(options.allow_credentials[0].id, b64(&record.id));
    let data = auth_data(RP_ID, 0x05, 9, None);
    let cdj = client_data("webauthn.get", &options.challenge, ORIGIN);
    let sig = key.sign(&[data.as_slice(), &sha256(&cdj)].concat());
    let response =
        common::authentication_response(&record.id.clone(), &cdj, &data, &sig, Some(b"user-42"));
    let outcome = rp.finish_authentication(
        &mut challenges,
        state.clone(),
        &response,
        &mut record,
        NOW + 5,
    );
    assert!(outcome.expect("accepted").user_verified);
    assert_eq!(record.sign_count, 9);
    let replay = rp.finish_authentication(&mut challenges, state, &response, &mut record, NOW + 6);
    assert_eq!(
        replay.map(drop).map_err(|e| e.check()),
        Err("ChallengeReplayed")
    );
}
