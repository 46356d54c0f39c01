//! Fuzzes response parsing and verification: whatever the bytes, the verifier returns an
//! `Error` and never panics. The first byte picks where the fuzzed bytes go:
//! 0: registration response JSON text; 1: authentication response JSON text;
//! 2: the attestationObject of an otherwise valid registration (W3C none-es256 vector);
//! 3: the authenticatorData of an otherwise valid assertion (same vector);
//! 4: a stored credential record (JSON), then used for that assertion.
#![no_main]

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use emulator_webauthn::json::{AuthenticationResponseJson, RegistrationResponseJson};
use emulator_webauthn::{
    AuthenticationState, CredentialRecord, RegistrationState, RelyingParty, RpConfig, Trace,
    UserVerification,
};
use libfuzzer_sys::fuzz_target;

/// The W3C "ES256 Credential with No Attestation" vector (hex, as the spec gives it).
const VECTOR: &str = include_str!("../../../../fixtures/webauthn/w3c/none-es256.json");

struct Fixture {
    rp: RelyingParty,
    registration: RegistrationResponseJson,
    reg_state: RegistrationState,
    authentication: AuthenticationResponseJson,
    auth_state: AuthenticationState,
    credential: CredentialRecord,
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .filter_map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn field(v: &serde_json::Value, part: &str, name: &str) -> Vec<u8> {
    hex(v[part][name].as_str().unwrap_or_default())
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let v: serde_json::Value = serde_json::from_str(VECTOR).expect("vector JSON");
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    let rp = RelyingParty::new(RpConfig::new("example.org", "https://example.org")).expect("rp");
    let id = b64(&field(&v, "registration", "credential_id"));
    let registration = RegistrationResponseJson::from_json(
        &serde_json::json!({
            "id": id, "rawId": id, "type": "public-key",
            "response": {
                "clientDataJSON": b64(&field(&v, "registration", "client_data_json")),
                "attestationObject": b64(&field(&v, "registration", "attestation_object")),
            },
        })
        .to_string(),
    )
    .expect("registration JSON");
    let reg_state = RegistrationState {
        challenge: b64(&field(&v, "registration", "challenge")),
        user_id: b64(b"user"),
        user_verification: UserVerification::Discouraged,
        algorithms: vec![-7, -8, -257],
        extensions: Vec::new(),
        expires_at_ms: u64::MAX,
    };
    let credential = rp
        .verify_registration(
            &reg_state,
            &registration,
            0,
            &|_| false,
            &mut Trace::disabled(),
        )
        .expect("the vector registers");
    let authentication = AuthenticationResponseJson::from_json(
        &serde_json::json!({
            "id": id, "rawId": id, "type": "public-key",
            "response": {
                "clientDataJSON": b64(&field(&v, "authentication", "client_data_json")),
                "authenticatorData": b64(&field(&v, "authentication", "authenticator_data")),
                "signature": b64(&field(&v, "authentication", "signature")),
            },
        })
        .to_string(),
    )
    .expect("authentication JSON");
    let auth_state = AuthenticationState {
        challenge: b64(&field(&v, "authentication", "challenge")),
        allow_credentials: vec![id],
        user_verification: UserVerification::Discouraged,
        expires_at_ms: u64::MAX,
    };
    Fixture {
        rp,
        registration,
        reg_state,
        authentication,
        auth_state,
        credential,
    }
});

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let f = &*FIXTURE;
    let text = std::str::from_utf8(rest).ok();
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    let mut trace = Trace::enabled();
    match mode % 5 {
        0 => {
            if let Some(Ok(r)) = text.map(RegistrationResponseJson::from_json) {
                let _ =
                    f.rp.verify_registration(&f.reg_state, &r, 0, &|_| false, &mut trace);
            }
        }
        1 => {
            if let Some(Ok(r)) = text.map(AuthenticationResponseJson::from_json) {
                let mut credential = f.credential.clone();
                let _ =
                    f.rp.verify_authentication(&f.auth_state, &r, &mut credential, 0, &mut trace);
            }
        }
        2 => {
            let mut r = f.registration.clone();
            r.response.attestation_object = b64(rest);
            let _ =
                f.rp.verify_registration(&f.reg_state, &r, 0, &|_| false, &mut trace);
        }
        3 => {
            let mut r = f.authentication.clone();
            r.response.authenticator_data = b64(rest);
            let mut credential = f.credential.clone();
            let _ =
                f.rp.verify_authentication(&f.auth_state, &r, &mut credential, 0, &mut trace);
        }
        _ => {
            if let Some(Ok(mut credential)) = text.map(CredentialRecord::from_json) {
                let _ = f.rp.verify_authentication(
                    &f.auth_state,
                    &f.authentication,
                    &mut credential,
                    0,
                    &mut trace,
                );
            }
        }
    }
});
