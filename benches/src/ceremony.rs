//! Ceremony setups shared by the criterion bench and the `count` binary: the same captured
//! assertion and registrations, verified by (a) a raw ECDSA P-256 verify, (b) emulator-webauthn
//! from the response's JSON text, (c) webauthn-rs 0.6 from the same text.

use std::hint::black_box;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, ParsedPublicKey, UnparsedPublicKey};
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

use crate::{Capture, b64_field};

/// Any time before the captures' certificates expire; our states carry no expiry.
pub const NOW_MS: u64 = 1_800_000_000_000;

type R<T> = Result<T, String>;

fn text<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn json<T: serde::de::DeserializeOwned>(text_: &str) -> R<T> {
    serde_json::from_str(text_).map_err(text)
}

/// (a): the assertion's signature check alone, on its exact bytes.
#[derive(Debug)]
pub struct RawVerify {
    message: Vec<u8>,
    signature: Vec<u8>,
    point: Vec<u8>,
    parsed: ParsedPublicKey,
}

impl RawVerify {
    pub fn new(capture: &Capture) -> R<Self> {
        let auth = &capture.authentication_response;
        let mut message = b64_field(auth, &["response", "authenticatorData"])?;
        let client_data = b64_field(auth, &["response", "clientDataJSON"])?;
        message.extend_from_slice(digest(&SHA256, &client_data).as_ref());
        let signature = b64_field(auth, &["response", "signature"])?;
        let spki = b64_field(&capture.registration_response, &["response", "publicKey"])?;
        // A P-256 SubjectPublicKeyInfo ends with the 65-byte uncompressed point.
        let point = spki
            .get(spki.len().saturating_sub(65)..)
            .unwrap_or_default()
            .to_vec();
        let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &point).map_err(text)?;
        let raw = RawVerify {
            message,
            signature,
            point,
            parsed,
        };
        raw.aws_lc_parsed()
            .then_some(raw)
            .ok_or_else(|| "raw verify fails".to_owned())
    }

    /// The chosen backend as the verifier uses it: aws-lc-rs with the key parsed once.
    pub fn aws_lc_parsed(&self) -> bool {
        self.parsed
            .verify_sig(black_box(&self.message), black_box(&self.signature))
            .is_ok()
    }

    pub fn aws_lc_unparsed(&self) -> bool {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, black_box(&self.point))
            .verify(black_box(&self.message), black_box(&self.signature))
            .is_ok()
    }

    pub fn ring_unparsed(&self) -> bool {
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_ASN1,
            black_box(&self.point),
        )
        .verify(black_box(&self.message), black_box(&self.signature))
        .is_ok()
    }
}

fn our_rp(capture: &Capture) -> R<RelyingParty> {
    RelyingParty::new(RpConfig::new(capture.rp_id.clone(), capture.origin.clone())).map_err(text)
}

fn their_rp(capture: &Capture) -> R<Webauthn> {
    let origin = Url::parse(&capture.origin).map_err(text)?;
    WebauthnBuilder::new(&capture.rp_id, &origin)
        .and_then(|b| b.build())
        .map_err(text)
}

/// webauthn-rs's own registration state with the captured options' challenge put in.
fn their_registration_state(wa: &Webauthn, capture: &Capture) -> R<PasskeyRegistration> {
    let (_, state) = wa
        .start_passkey_registration(Uuid::from_u128(7), "bench", "Bench", None)
        .map_err(text)?;
    let options: serde_json::Value = json(&capture.registration_options)?;
    let mut state = serde_json::to_value(&state).map_err(text)?;
    state["rs"]["challenge"] = options["challenge"].clone();
    serde_json::from_value(state).map_err(text)
}

/// A registration response verified by both verifiers.
#[derive(Debug)]
pub struct Registration {
    text: String,
    rp: RelyingParty,
    state: RegistrationState,
    wa: Webauthn,
    their_state: PasskeyRegistration,
}

impl Registration {
    pub fn new(capture: &Capture) -> R<Self> {
        let options: CreationOptionsJson = json(&capture.registration_options)?;
        let wa = their_rp(capture)?;
        let their_state = their_registration_state(&wa, capture)?;
        let reg = Registration {
            text: capture.registration_response.clone(),
            rp: our_rp(capture)?,
            state: RegistrationState::from_options(&options),
            wa,
            their_state,
        };
        reg.ours()?;
        reg.theirs()?;
        Ok(reg)
    }

    pub fn ours(&self) -> R<CredentialRecord> {
        let response = RegistrationResponseJson::from_json(black_box(&self.text)).map_err(text)?;
        self.rp
            .verify_registration(
                &self.state,
                &response,
                NOW_MS,
                &|_| false,
                &mut Trace::disabled(),
            )
            .map_err(text)
    }

    pub fn theirs(&self) -> R<Passkey> {
        let response: RegisterPublicKeyCredential = json(black_box(&self.text))?;
        self.wa
            .finish_passkey_registration(&response, &self.their_state)
            .map_err(text)
    }
}

/// An assertion verified by both verifiers against their own stored credential.
#[derive(Debug)]
pub struct Authentication {
    text: String,
    rp: RelyingParty,
    state: AuthenticationState,
    record: CredentialRecord,
    registered_count: u32,
    wa: Webauthn,
    their_state: PasskeyAuthentication,
}

impl Authentication {
    pub fn new(capture: &Capture) -> R<Self> {
        let registration = Registration::new(capture)?;
        let record = registration.ours()?;
        let passkey = registration.theirs()?;
        let wa = registration.wa;
        let (_, state) = wa
            .start_passkey_authentication(std::slice::from_ref(&passkey))
            .map_err(text)?;
        let options: serde_json::Value = json(&capture.authentication_options)?;
        let mut their_state = serde_json::to_value(&state).map_err(text)?;
        their_state["ast"]["challenge"] = options["challenge"].clone();
        let options: RequestOptionsJson = json(&capture.authentication_options)?;
        let mut auth = Authentication {
            text: capture.authentication_response.clone(),
            rp: registration.rp,
            state: AuthenticationState::from_options(&options),
            registered_count: record.sign_count,
            record,
            wa,
            their_state: serde_json::from_value(their_state).map_err(text)?,
        };
        auth.ours()?;
        auth.theirs()?;
        Ok(auth)
    }

    /// (b). A success stores the new signCount; the registered one is put back first so every
    /// call verifies the same assertion against the same record.
    pub fn ours(&mut self) -> R<u32> {
        self.record.sign_count = self.registered_count;
        let response =
            AuthenticationResponseJson::from_json(black_box(&self.text)).map_err(text)?;
        let outcome = self
            .rp
            .verify_authentication(
                &self.state,
                &response,
                &mut self.record,
                NOW_MS,
                &mut Trace::disabled(),
            )
            .map_err(text)?;
        Ok(outcome.sign_count)
    }

    /// (c).
    pub fn theirs(&self) -> R<u32> {
        let response: PublicKeyCredential = json(black_box(&self.text))?;
        let result = self
            .wa
            .finish_passkey_authentication(&response, &self.their_state)
            .map_err(text)?;
        Ok(result.counter())
    }
}
