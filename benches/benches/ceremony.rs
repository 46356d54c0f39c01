//! Ceremony verification benchmarks, each beside its baselines in the same run, on the same
//! Chromium-captured registrations (`none`, `direct` = packed x5c) and assertion:
//! (a) the raw ECDSA P-256 verify (aws-lc-rs with the key parsed once; aws-lc-rs and ring
//!     parsing the key per call, to choose the backend), (b) emulator-webauthn verifying the
//!     assertion end to end from its JSON text, (c) webauthn-rs 0.6 finishing the same
//!     authentication; then registration for both verifiers. See BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench aborts on broken fixtures

use std::hint::black_box;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, ParsedPublicKey, UnparsedPublicKey};
use benches::{Capture, b64_field, chromium};
use criterion::{Criterion, criterion_group, criterion_main};
use emulator_webauthn::json::{
    AuthenticationResponseJson, CreationOptionsJson, RegistrationResponseJson, RequestOptionsJson,
};
use emulator_webauthn::{
    AuthenticationState, CredentialRecord, RegistrationState, RelyingParty, RpConfig, Trace,
};
use url::Url;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Uuid,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};

const NOW_MS: u64 = 1_800_000_000_000;

fn ours(capture: &Capture) -> RelyingParty {
    RelyingParty::new(RpConfig::new(capture.rp_id.clone(), capture.origin.clone())).unwrap()
}

fn our_registration(rp: &RelyingParty, capture: &Capture) -> CredentialRecord {
    let options: CreationOptionsJson = serde_json::from_str(&capture.registration_options).unwrap();
    let state = RegistrationState::from_options(&options);
    let response = RegistrationResponseJson::from_json(&capture.registration_response).unwrap();
    rp.verify_registration(&state, &response, NOW_MS, &|_| false, &mut Trace::disabled()).unwrap()
}

fn theirs(capture: &Capture) -> Webauthn {
    let origin = Url::parse(&capture.origin).unwrap();
    WebauthnBuilder::new(&capture.rp_id, &origin).unwrap().build().unwrap()
}

/// webauthn-rs's own registration state, with the captured options' challenge put in.
fn their_registration_state(wa: &Webauthn, capture: &Capture) -> PasskeyRegistration {
    let (_, state) = wa.start_passkey_registration(Uuid::from_u128(7), "bench", "Bench", None).unwrap();
    let options: serde_json::Value = serde_json::from_str(&capture.registration_options).unwrap();
    let mut state = serde_json::to_value(&state).unwrap();
    state["rs"]["challenge"] = options["challenge"].clone();
    serde_json::from_value(state).unwrap()
}

fn their_registration(wa: &Webauthn, capture: &Capture) -> Passkey {
    let state = their_registration_state(wa, capture);
    let response: RegisterPublicKeyCredential =
        serde_json::from_str(&capture.registration_response).unwrap();
    wa.finish_passkey_registration(&response, &state).unwrap()
}

fn their_authentication_state(wa: &Webauthn, passkey: &Passkey, capture: &Capture) -> PasskeyAuthentication {
    let (_, state) = wa.start_passkey_authentication(std::slice::from_ref(passkey)).unwrap();
    let options: serde_json::Value = serde_json::from_str(&capture.authentication_options).unwrap();
    let mut state = serde_json::to_value(&state).unwrap();
    state["ast"]["challenge"] = options["challenge"].clone();
    serde_json::from_value(state).unwrap()
}

/// (a): the signature check alone, on the assertion's exact bytes.
fn raw_verify(c: &mut Criterion, capture: &Capture) {
    let auth = &capture.authentication_response;
    let mut message = b64_field(auth, &["response", "authenticatorData"]).unwrap();
    let client_data = b64_field(auth, &["response", "clientDataJSON"]).unwrap();
    message.extend_from_slice(digest(&SHA256, &client_data).as_ref());
    let signature = b64_field(auth, &["response", "signature"]).unwrap();
    let spki = b64_field(&capture.registration_response, &["response", "publicKey"]).unwrap();
    let point = spki[spki.len() - 65..].to_vec(); // P-256 SPKI ends with the uncompressed point
    let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &point).unwrap();
    parsed.verify_sig(&message, &signature).unwrap();
    let mut group = c.benchmark_group("p256_verify");
    group.bench_function("aws-lc-rs parsed key", |b| {
        b.iter(|| parsed.verify_sig(black_box(&message), black_box(&signature)).unwrap())
    });
    group.bench_function("aws-lc-rs key parsed per call", |b| {
        b.iter(|| {
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, black_box(&point))
                .verify(black_box(&message), black_box(&signature))
                .unwrap()
        })
    });
    group.bench_function("ring key parsed per call", |b| {
        b.iter(|| {
            ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_ASN1,
                black_box(&point),
            )
            .verify(black_box(&message), black_box(&signature))
            .unwrap()
        })
    });
    group.finish();
}

/// (b) and (c): the whole assertion, from the response's JSON text.
fn authentication(c: &mut Criterion, capture: &Capture) {
    let rp = ours(capture);
    let record = our_registration(&rp, capture);
    let options: RequestOptionsJson = serde_json::from_str(&capture.authentication_options).unwrap();
    let state = AuthenticationState::from_options(&options);
    let text = capture.authentication_response.as_str();
    let wa = theirs(capture);
    let passkey = their_registration(&wa, capture);
    let their_state = their_authentication_state(&wa, &passkey, capture);
    let mut group = c.benchmark_group("authentication");
    let mut record = record;
    let stored = record.sign_count;
    group.bench_function("emulator-webauthn", |b| {
        b.iter(|| {
            // A success stores the new signCount; put the registered one back so every
            // iteration verifies the same assertion against the same record.
            record.sign_count = stored;
            let response = AuthenticationResponseJson::from_json(black_box(text)).unwrap();
            rp.verify_authentication(&state, &response, &mut record, NOW_MS, &mut Trace::disabled())
                .unwrap()
        })
    });
    group.bench_function("webauthn-rs 0.6", |b| {
        b.iter(|| {
            let response: PublicKeyCredential = serde_json::from_str(black_box(text)).unwrap();
            wa.finish_passkey_authentication(&response, &their_state).unwrap()
        })
    });
    group.finish();
}

/// Registration for both verifiers, per attestation format.
fn registration(c: &mut Criterion, label: &str, capture: &Capture) {
    let rp = ours(capture);
    let options: CreationOptionsJson = serde_json::from_str(&capture.registration_options).unwrap();
    let state = RegistrationState::from_options(&options);
    let text = capture.registration_response.as_str();
    let wa = theirs(capture);
    let their_state = their_registration_state(&wa, capture);
    let mut group = c.benchmark_group(format!("registration {label}"));
    group.bench_function("emulator-webauthn", |b| {
        b.iter(|| {
            let response = RegistrationResponseJson::from_json(black_box(text)).unwrap();
            rp.verify_registration(&state, &response, NOW_MS, &|_| false, &mut Trace::disabled())
                .unwrap()
        })
    });
    group.bench_function("webauthn-rs 0.6", |b| {
        b.iter(|| {
            let response: RegisterPublicKeyCredential = serde_json::from_str(black_box(text)).unwrap();
            wa.finish_passkey_registration(&response, &their_state).unwrap()
        })
    });
    group.finish();
}

fn ceremonies(c: &mut Criterion) {
    let none = chromium("none").unwrap();
    let direct = chromium("direct").unwrap();
    raw_verify(c, &none);
    authentication(c, &none);
    registration(c, "none", &none);
    registration(c, "packed x5c", &direct);
}

criterion_group!(benches, ceremonies);
criterion_main!(benches);
