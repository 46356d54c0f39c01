//! The negative catalogue: each case changes one thing in a valid, correctly signed response and
//! asserts the exact check that rejects it.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

mod common;

use ciborium::Value;
use common::forge::*;
use emulator_webauthn::encoding::{b64, sha256};
use emulator_webauthn::json::{AuthenticationResponseJson, RegistrationResponseJson};
use emulator_webauthn::{
    AttestationPolicy, AuthenticationState, CounterPolicy, CredentialRecord, RegistrationState,
    RelyingParty, RpConfig, Trace, UserVerification,
};

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;
const NOW: u64 = common::NOW_MS;

#[derive(Clone)]
enum Stmt {
    None(Vec<(Value, Value)>),
    SelfSigned { alg: i64 },
    X5c(Leaf),
}

/// A registration described by its parts; `build` makes it consistent and signs it.
#[derive(Clone)]
struct Reg {
    type_: &'static str,
    challenge: String,
    origin: &'static str,
    rp_id: &'static str,
    flags: u8,
    credential_id: Vec<u8>,
    auth_data_id: Option<Vec<u8>>,
    cose_alg: i64,
    fmt: &'static str,
    stmt: Stmt,
    tamper_sig: bool,
    auth_data_tail: Vec<u8>,
    object_tail: Vec<u8>,
    object_cut: usize,
    raw_id: Option<String>,
    cred_type: &'static str,
    state: RegistrationState,
    policy: AttestationPolicy,
    registered: bool,
}

fn reg() -> Reg {
    Reg {
        type_: "webauthn.create",
        challenge: challenge_b64(1),
        origin: ORIGIN,
        rp_id: RP_ID,
        flags: UP | UV | AT,
        credential_id: vec![7; 32],
        auth_data_id: None,
        cose_alg: -7,
        fmt: "packed",
        stmt: Stmt::X5c(Leaf::default()),
        tamper_sig: false,
        auth_data_tail: Vec::new(),
        object_tail: Vec::new(),
        object_cut: 0,
        raw_id: None,
        cred_type: "public-key",
        state: RegistrationState {
            challenge: challenge_b64(1),
            user_id: b64(b"user-1"),
            user_verification: UserVerification::Preferred,
            algorithms: vec![-7, -8, -257],
            extensions: Vec::new(),
            expires_at_ms: NOW + 60_000,
        },
        policy: AttestationPolicy::AcceptAny,
        registered: false,
    }
}

fn relying_party(policy: AttestationPolicy, root: Vec<u8>, counter: CounterPolicy) -> RelyingParty {
    let mut config = RpConfig::new(RP_ID, ORIGIN);
    config.attestation = policy;
    config.trust_roots = vec![root];
    config.counter = counter;
    RelyingParty::new(config).expect("config")
}

impl Reg {
    fn build(&self, ca: &Ca) -> (RegistrationResponseJson, Key) {
        let key = Key::new();
        let id = self.auth_data_id.as_ref().unwrap_or(&self.credential_id);
        let attested = (self.flags & AT != 0).then_some((id.as_slice(), key.cose(self.cose_alg)));
        let mut auth = auth_data(
            self.rp_id,
            self.flags,
            0,
            attested.as_ref().map(|(i, c)| (*i, c.as_slice())),
        );
        auth.extend_from_slice(&self.auth_data_tail);
        let cdj = client_data(self.type_, &self.challenge, self.origin);
        let signed = [auth.as_slice(), &sha256(&cdj)].concat();
        let tamper = |mut sig: Vec<u8>| {
            if self.tamper_sig {
                let last = sig.len() - 1;
                sig[last] ^= 1;
            }
            Value::Bytes(sig)
        };
        let stmt = match &self.stmt {
            Stmt::None(entries) => entries.clone(),
            Stmt::SelfSigned { alg } => {
                vec![
                    ("alg".into(), (*alg).into()),
                    ("sig".into(), tamper(key.sign(&signed))),
                ]
            }
            Stmt::X5c(leaf) => {
                let (der, leaf_key) = ca.leaf(leaf);
                vec![
                    ("alg".into(), (-7).into()),
                    ("sig".into(), tamper(leaf_key.sign(&signed))),
                    ("x5c".into(), Value::Array(vec![Value::Bytes(der)])),
                ]
            }
        };
        let mut object = attestation_object(self.fmt, stmt, &auth);
        object.truncate(object.len() - self.object_cut);
        object.extend_from_slice(&self.object_tail);
        let mut response = common::registration_response(&self.credential_id, &cdj, &object);
        if let Some(raw_id) = &self.raw_id {
            response.raw_id = raw_id.clone();
        }
        response.type_ = self.cred_type.to_owned();
        (response, key)
    }

    fn verify(&self) -> Result<(CredentialRecord, Key), String> {
        let ca = Ca::new();
        let rp = relying_party(self.policy, ca.der.clone(), CounterPolicy::Reject);
        let (response, key) = self.build(&ca);
        let registered = self.registered;
        rp.verify_registration(
            &self.state,
            &response,
            NOW,
            &|_| registered,
            &mut Trace::disabled(),
        )
        .map(|record| (record, key))
        .map_err(|e| e.check().to_owned())
    }
}

fn check_reg(name: &str, change: impl FnOnce(&mut Reg), expect: Result<(), &str>) {
    let mut r = reg();
    change(&mut r);
    let got = r.verify().map(drop);
    assert_eq!(
        got,
        expect.map_err(str::to_owned),
        "registration case {name}"
    );
}

#[test]
fn registration_catalogue() {
    check_reg("valid packed x5c", |_| {}, Ok(()));
    check_reg(
        "valid packed self",
        |r| r.stmt = Stmt::SelfSigned { alg: -7 },
        Ok(()),
    );
    check_reg(
        "valid none",
        |r| (r.fmt, r.stmt) = ("none", Stmt::None(vec![])),
        Ok(()),
    );
    check_reg(
        "credential type",
        |r| r.cred_type = "password",
        Err("CredentialTypeMismatch"),
    );
    check_reg(
        "id vs rawId",
        |r| r.raw_id = Some(b64(&[8; 32])),
        Err("IdRawIdMismatch"),
    );
    check_reg(
        "clientData type",
        |r| r.type_ = "webauthn.get",
        Err("ClientDataTypeMismatch"),
    );
    check_reg(
        "challenge",
        |r| r.challenge = challenge_b64(2),
        Err("ChallengeMismatch"),
    );
    check_reg(
        "origin",
        |r| r.origin = "http://evil.localhost:9230",
        Err("OriginMismatch"),
    );
    check_reg(
        "rpIdHash",
        |r| r.rp_id = "localhost",
        Err("RpIdHashMismatch"),
    );
    check_reg("UP", |r| r.flags &= !UP, Err("UserNotPresent"));
    let uv_required = |r: &mut Reg| {
        r.flags &= !UV;
        r.state.user_verification = UserVerification::Required;
    };
    check_reg("UV", uv_required, Err("UserNotVerified"));
    check_reg("UV not required", |r| r.flags &= !UV, Ok(()));
    check_reg(
        "BS without BE",
        |r| r.flags |= BS,
        Err("BackupStateWithoutEligibility"),
    );
    check_reg("BE and BS", |r| r.flags |= BE | BS, Ok(()));
    check_reg(
        "no AT",
        |r| r.flags &= !AT,
        Err("AttestedCredentialDataMissing"),
    );
    check_reg(
        "alg not requested",
        |r| r.state.algorithms = vec![-257],
        Err("AlgorithmNotRequested"),
    );
    check_reg(
        "bad attestation signature",
        |r| r.tamper_sig = true,
        Err("AttestationSignatureInvalid"),
    );
    let self_bad = |r: &mut Reg| (r.stmt, r.tamper_sig) = (Stmt::SelfSigned { alg: -7 }, true);
    check_reg(
        "bad self signature",
        self_bad,
        Err("AttestationSignatureInvalid"),
    );
    let self_alg = |r: &mut Reg| r.stmt = Stmt::SelfSigned { alg: -257 };
    check_reg("self alg", self_alg, Err("AttestationAlgMismatch"));
    check_reg(
        "truncated CBOR",
        |r| r.object_cut = 10,
        Err("AttestationObjectMalformed"),
    );
    check_reg(
        "trailing bytes (attestationObject)",
        |r| r.object_tail = vec![0],
        Err("TrailingBytes"),
    );
    check_reg(
        "trailing bytes (authData)",
        |r| r.auth_data_tail = vec![0xf6],
        Err("TrailingBytes"),
    );
    check_reg(
        "1023-byte credential id",
        |r| r.credential_id = vec![3; 1023],
        Ok(()),
    );
    check_reg(
        "1024-byte credential id",
        |r| r.credential_id = vec![3; 1024],
        Err("CredentialIdTooLong"),
    );
    check_reg(
        "id in authData",
        |r| r.auth_data_id = Some(vec![9; 32]),
        Err("CredentialIdMismatch"),
    );
    check_reg(
        "duplicate credential id",
        |r| r.registered = true,
        Err("CredentialIdAlreadyRegistered"),
    );
    check_reg(
        "unknown fmt",
        |r| r.fmt = "tpm-ish",
        Err("UnsupportedFormat"),
    );
    check_reg(
        "fmt is case-sensitive",
        |r| r.fmt = "Packed",
        Err("UnsupportedFormat"),
    );
    let none_stmt =
        |r: &mut Reg| (r.fmt, r.stmt) = ("none", Stmt::None(vec![("x".into(), 1.into())]));
    check_reg(
        "none with a statement",
        none_stmt,
        Err("AttestationStatementMalformed"),
    );
    let leaf = |change: fn(&mut Leaf)| {
        move |r: &mut Reg| {
            let mut l = Leaf::default();
            change(&mut l);
            r.stmt = Stmt::X5c(l);
        }
    };
    check_reg(
        "x5c leaf CA=true",
        leaf(|l| l.is_ca = true),
        Err("CertificateIsCa"),
    );
    check_reg(
        "x5c leaf OU",
        leaf(|l| l.ou = "Batch"),
        Err("CertificateSubjectInvalid"),
    );
    let other_aaguid = leaf(|l| l.aaguid_ext = Some((*b"another-aaguid!!", false)));
    check_reg(
        "AAGUID extension mismatch",
        other_aaguid,
        Err("AaguidExtensionMismatch"),
    );
    let critical = leaf(|l| l.aaguid_ext = Some((AAGUID, true)));
    check_reg(
        "AAGUID extension critical",
        critical,
        Err("AaguidExtensionCritical"),
    );
    check_reg("no AAGUID extension", leaf(|l| l.aaguid_ext = None), Ok(()));
    let trusted = |r: &mut Reg| r.policy = AttestationPolicy::RequireTrustedRoot;
    check_reg("chain to the configured root", trusted, Ok(()));
    let refused = |r: &mut Reg| r.policy = AttestationPolicy::RefuseAttestation;
    check_reg(
        "attestation refused",
        refused,
        Err("AttestationTypeRefused"),
    );
}

#[test]
fn untrusted_chain_is_named() {
    let r = Reg {
        policy: AttestationPolicy::RequireTrustedRoot,
        ..reg()
    };
    let (response, _) = r.build(&Ca::new());
    let rp = relying_party(r.policy, Ca::new().der, CounterPolicy::Reject);
    let e = rp.verify_registration(&r.state, &response, NOW, &|_| false, &mut Trace::disabled());
    assert_eq!(
        e.map(drop).map_err(|e| e.check()),
        Err("AttestationUntrusted")
    );
}

/// An assertion described by its parts, against a credential registered by `reg()`.
#[derive(Clone)]
struct Auth {
    type_: &'static str,
    challenge: String,
    origin: &'static str,
    rp_id: &'static str,
    flags: u8,
    counter: u32,
    stored_counter: u32,
    registered_flags: u8,
    user_handle: Option<Vec<u8>>,
    allow: Vec<String>,
    tamper_sig: bool,
    auth_data_tail: Vec<u8>,
    attested: bool,
    other_record: bool,
    uv: UserVerification,
    counter_policy: CounterPolicy,
}

fn auth() -> Auth {
    Auth {
        type_: "webauthn.get",
        challenge: challenge_b64(5),
        origin: ORIGIN,
        rp_id: RP_ID,
        flags: UP | UV,
        counter: 1,
        stored_counter: 0,
        registered_flags: UP | UV | AT,
        user_handle: Some(b"user-1".to_vec()),
        allow: vec![b64(&[7; 32])],
        tamper_sig: false,
        auth_data_tail: Vec::new(),
        attested: false,
        other_record: false,
        uv: UserVerification::Preferred,
        counter_policy: CounterPolicy::Reject,
    }
}

impl Auth {
    fn run(&self) -> Result<bool, String> {
        let r = Reg {
            flags: self.registered_flags,
            ..reg()
        };
        let (mut record, key) = r.verify().expect("base registration");
        record.sign_count = self.stored_counter;
        if self.other_record {
            record.id = vec![8; 32];
        }
        let attested = self.attested.then(|| (vec![7u8; 32], key.cose(-7)));
        let mut data = auth_data(
            self.rp_id,
            self.flags,
            self.counter,
            attested.as_ref().map(|(i, c)| (i.as_slice(), c.as_slice())),
        );
        data.extend_from_slice(&self.auth_data_tail);
        let cdj = client_data(self.type_, &self.challenge, self.origin);
        let mut sig = key.sign(&[data.as_slice(), &sha256(&cdj)].concat());
        if self.tamper_sig {
            let last = sig.len() - 1;
            sig[last] ^= 1;
        }
        let response: AuthenticationResponseJson = common::authentication_response(
            &[7; 32],
            &cdj,
            &data,
            &sig,
            self.user_handle.as_deref(),
        );
        let state = AuthenticationState {
            challenge: challenge_b64(5),
            allow_credentials: self.allow.clone(),
            user_verification: self.uv,
            expires_at_ms: NOW + 60_000,
        };
        let rp = relying_party(
            AttestationPolicy::AcceptAny,
            Ca::new().der,
            self.counter_policy,
        );
        rp.verify_authentication(&state, &response, &mut record, NOW, &mut Trace::disabled())
            .map(|outcome| outcome.counter_regressed)
            .map_err(|e| e.check().to_owned())
    }
}

fn check_auth(name: &str, change: impl FnOnce(&mut Auth), expect: Result<bool, &str>) {
    let mut a = auth();
    change(&mut a);
    assert_eq!(
        a.run(),
        expect.map_err(str::to_owned),
        "authentication case {name}"
    );
}

#[test]
fn authentication_catalogue() {
    check_auth("valid", |_| {}, Ok(false));
    check_auth(
        "valid without userHandle",
        |a| a.user_handle = None,
        Ok(false),
    );
    check_auth(
        "clientData type",
        |a| a.type_ = "webauthn.create",
        Err("ClientDataTypeMismatch"),
    );
    check_auth(
        "challenge",
        |a| a.challenge = challenge_b64(6),
        Err("ChallengeMismatch"),
    );
    check_auth(
        "origin",
        |a| a.origin = "https://idp.localhost",
        Err("OriginMismatch"),
    );
    check_auth(
        "rpIdHash",
        |a| a.rp_id = "evil.localhost",
        Err("RpIdHashMismatch"),
    );
    check_auth("UP", |a| a.flags &= !UP, Err("UserNotPresent"));
    let uv = |a: &mut Auth| (a.flags, a.uv) = (UP, UserVerification::Required);
    check_auth("UV", uv, Err("UserNotVerified"));
    check_auth(
        "BS without BE",
        |a| a.flags |= BS,
        Err("BackupStateWithoutEligibility"),
    );
    check_auth(
        "BE appeared",
        |a| a.flags |= BE,
        Err("BackupEligibilityChanged"),
    );
    let be_gone = |a: &mut Auth| a.registered_flags |= BE;
    check_auth("BE disappeared", be_gone, Err("BackupEligibilityChanged"));
    let synced =
        |a: &mut Auth| (a.registered_flags, a.flags) = (UP | UV | AT | BE, UP | UV | BE | BS);
    check_auth("BE kept, BS set", synced, Ok(false));
    check_auth(
        "bad signature",
        |a| a.tamper_sig = true,
        Err("SignatureInvalid"),
    );
    let regress = |a: &mut Auth| (a.stored_counter, a.counter) = (5, 3);
    check_auth("counter regression", regress, Err("CounterRegression"));
    let equal = |a: &mut Auth| (a.stored_counter, a.counter) = (5, 5);
    check_auth("counter equal", equal, Err("CounterRegression"));
    let zero = |a: &mut Auth| (a.stored_counter, a.counter) = (0, 0);
    check_auth("counters both zero", zero, Ok(false));
    let flagged = |a: &mut Auth| {
        (a.stored_counter, a.counter, a.counter_policy) = (5, 3, CounterPolicy::Flag)
    };
    check_auth("counter regression flagged", flagged, Ok(true));
    let discoverable = |a: &mut Auth| (a.allow, a.user_handle) = (vec![], None);
    check_auth(
        "discoverable without userHandle",
        discoverable,
        Err("UserHandleMissing"),
    );
    check_auth("discoverable", |a| a.allow = vec![], Ok(false));
    check_auth(
        "userHandle",
        |a| a.user_handle = Some(b"user-2".to_vec()),
        Err("UserHandleMismatch"),
    );
    check_auth(
        "not allowed",
        |a| a.allow = vec![b64(&[9; 32])],
        Err("CredentialNotAllowed"),
    );
    let other = |a: &mut Auth| (a.allow, a.other_record) = (vec![], true);
    check_auth(
        "stored credential differs",
        other,
        Err("CredentialMismatch"),
    );
    let with_at = |a: &mut Auth| (a.attested, a.flags) = (true, UP | UV | AT);
    check_auth(
        "AT in an assertion",
        with_at,
        Err("UnexpectedAttestedCredentialData"),
    );
    check_auth(
        "trailing bytes",
        |a| a.auth_data_tail = vec![0],
        Err("TrailingBytes"),
    );
}

#[test]
fn truncated_authenticator_data() {
    let a = auth();
    let r = reg();
    let (mut record, _) = r.verify().expect("registration");
    let cdj = client_data(a.type_, &a.challenge, a.origin);
    let data = auth_data(RP_ID, UP, 1, None);
    let response = common::authentication_response(&[7; 32], &cdj, &data[..36], &[0; 8], None);
    let state = AuthenticationState {
        challenge: a.challenge.clone(),
        allow_credentials: a.allow.clone(),
        user_verification: UserVerification::Preferred,
        expires_at_ms: NOW + 1,
    };
    let rp = relying_party(
        AttestationPolicy::AcceptAny,
        Ca::new().der,
        CounterPolicy::Reject,
    );
    let e = rp.verify_authentication(&state, &response, &mut record, NOW, &mut Trace::disabled());
    assert_eq!(
        e.map(drop).map_err(|e| e.check()),
        Err("AuthenticatorDataMalformed")
    );
}
