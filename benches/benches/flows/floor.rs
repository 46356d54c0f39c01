//! The crypto floor of each flow: the signature and key operations it cannot do without,
//! each timed alone with the library and inputs the flow uses, and how many of each every
//! flow does (counted from the code; the comments say where). SHA-256, HMAC and HKDF
//! (codes, states, PKCE, `at_hash`, SRP's hashes) are left out: each is a few microseconds
//! at most, inside the noise of the figures they would join.

use std::hint::black_box;

use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_ASN1, KeyPair as _, ParsedPublicKey, RsaPublicKeyComponents,
};
use emulator::cognito::signin::srp::{self, Group, ServerKey, Verifier};
use harness::authenticator::CredentialKey;
use num_bigint::BigUint;

/// One primitive operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// The authenticator's new credential key: a scalar and its public point (RustCrypto
    /// `p256`, `harness::authenticator::keys`).
    P256Keygen,
    /// The relying party's check of a new credential's public point (aws-lc
    /// `ParsedPublicKey::new`, `emulator-webauthn` `cose.rs`).
    P256KeyParse,
    /// The authenticator's assertion signature, RFC 6979 (RustCrypto `p256`).
    P256Sign,
    /// The relying party's check of an assertion: the stored key parsed, then one ECDSA
    /// verification (aws-lc, as `cose.rs` does on a record loaded from the store).
    P256Verify,
    /// One RS256 token signature with a 2048-bit key (aws-lc `rsa::KeyPair::sign`, as the
    /// IdP's `keys.rs` and the pool's `keys.rs` do).
    Rs256Sign,
    /// One RS256 verification from a JWK's `n` and `e` (aws-lc `RsaPublicKeyComponents`, what
    /// `jsonwebtoken`'s aws-lc backend runs for `DecodingKey::from_jwk`).
    Rs256Verify,
    /// The SRP client's key: `g^a`, `g^x`, `(B - k g^x)^(a + u x)` (`srp::client_session_key`).
    SrpClient,
    /// The client's `A = g^a` alone (`srp::Group::public_a`). In no floor: it is part of
    /// `SrpClient`, and the measured client computes it a second time (see [`SRP`]).
    SrpClientA,
    /// The server's `B = k v + g^b` (`srp::Group::server_key`).
    SrpServerB,
    /// The server's `S = (A v^u)^b` and its HKDF (`srp::Group::server_session_key`).
    SrpServerKey,
}

impl Op {
    pub const ALL: [Op; 10] = [
        Op::P256Keygen,
        Op::P256KeyParse,
        Op::P256Sign,
        Op::P256Verify,
        Op::Rs256Sign,
        Op::Rs256Verify,
        Op::SrpClient,
        Op::SrpClientA,
        Op::SrpServerB,
        Op::SrpServerKey,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::P256Keygen => "p256_keygen",
            Op::P256KeyParse => "p256_key_parse",
            Op::P256Sign => "p256_sign",
            Op::P256Verify => "p256_verify",
            Op::Rs256Sign => "rs256_sign",
            Op::Rs256Verify => "rs256_verify",
            Op::SrpClient => "srp_client_key",
            Op::SrpClientA => "srp_client_a",
            Op::SrpServerB => "srp_server_b",
            Op::SrpServerKey => "srp_server_key",
        }
    }
}

/// A flow's floor: how many of each operation it does.
pub type Counts = &'static [(Op, u32)];

/// The first federated sign-in (`register.toml`'s steps).
/// - P256Keygen 1: the device's `make_credential` draws the credential key (harness
///   `authenticator/ctap.rs`). A platform passkey attests with `none`
///   (`AuthenticatorConfig::platform_passkey`), so there is no attestation signature and the
///   IdP verifies none.
/// - P256KeyParse 1: the IdP's `finish_registration` parses the COSE key (`cose.rs`).
/// - Rs256Sign 3: the IdP's ID token (`idp/oidc/token.rs` `issue_tokens`; its access token is
///   opaque), the pool's ID and access tokens (`cognito/tokens.rs`; the refresh token is
///   random bytes).
/// - Rs256Verify 2: Cognito checks the IdP's ID token (`federation/oidc.rs`
///   `validate_id_token`), the app checks the pool's (`harness` `driver/cognito.rs`).
pub const FIRST_FEDERATED: Counts = &[
    (Op::P256Keygen, 1),
    (Op::P256KeyParse, 1),
    (Op::Rs256Sign, 3),
    (Op::Rs256Verify, 2),
];

/// A returning federated sign-in (`login.toml`'s second half): the device's assertion
/// (`ctap.rs` `get_assertion`), the IdP's check (`experience/ceremony.rs` `authenticate`),
/// then the same three token signatures and two verifications as the first sign-in.
pub const RETURNING_FEDERATED: Counts = &[
    (Op::P256Sign, 1),
    (Op::P256Verify, 1),
    (Op::Rs256Sign, 3),
    (Op::Rs256Verify, 2),
];

/// Account linking (`link-corrected.toml`): a first sign-in that PreSignUp refuses after
/// linking (the IdP's token is signed and checked, Cognito issues none), then a returning one.
pub const LINKING: Counts = &[
    (Op::P256Keygen, 1),
    (Op::P256KeyParse, 1),
    (Op::P256Sign, 1),
    (Op::P256Verify, 1),
    (Op::Rs256Sign, 4),
    (Op::Rs256Verify, 3),
];

/// USER_SRP_AUTH: the client's three exponentiations, the server's `B` at InitiateAuth and
/// its key at RespondToAuthChallenge (`signin/challenges.rs` `srp_challenge`, `check_claim`),
/// the pool's ID and access tokens, the app's check of the ID token. The measured client
/// does one exponentiation more than this: it computes `A = g^a` for InitiateAuth, and
/// `srp::client_session_key`, which takes `a` and not `A`, computes it again.
pub const SRP: Counts = &[
    (Op::SrpClient, 1),
    (Op::SrpServerB, 1),
    (Op::SrpServerKey, 1),
    (Op::Rs256Sign, 2),
    (Op::Rs256Verify, 1),
];

/// USER_AUTH with WEB_AUTHN: the device's assertion, the pool's check (`cognito/passkeys.rs`),
/// the pool's two tokens, the app's check of the ID token.
pub const USER_AUTH_PASSKEY: Counts = &[
    (Op::P256Sign, 1),
    (Op::P256Verify, 1),
    (Op::Rs256Sign, 2),
    (Op::Rs256Verify, 1),
];

/// The inputs of every operation, made once.
pub struct Inputs {
    scalar: [u8; 32],
    credential: CredentialKey,
    point: Vec<u8>,
    /// authenticatorData (37 bytes) || SHA-256(clientDataJSON), as an assertion signs.
    assertion_message: Vec<u8>,
    assertion_signature: Vec<u8>,
    rsa: KeyPair,
    rsa_n: Vec<u8>,
    rsa_e: Vec<u8>,
    /// A JWS signing input the size of the pool's ID token.
    jws_input: Vec<u8>,
    jws_signature: Vec<u8>,
    group: Group,
    verifier: Verifier,
    server: ServerKey,
    a_secret: BigUint,
    big_a: BigUint,
    b_random: [u8; 32],
}

impl Inputs {
    pub fn new() -> Self {
        let scalar = [0x42; 32];
        let credential = CredentialKey::from_scalar(&scalar).expect("scalar");
        let assertion_message = [[0x5d; 37].as_slice(), &[0x17; 32]].concat();
        let assertion_signature = credential.sign_der(&assertion_message);
        let rsa = KeyPair::generate(KeySize::Rsa2048).expect("rsa");
        let public = rsa.public_key();
        let rsa_n = public.modulus().big_endian_without_leading_zero().to_vec();
        let rsa_e = public.exponent().big_endian_without_leading_zero().to_vec();
        let jws_input = vec![b'e'; 1100];
        let jws_signature = rs256_sign(&rsa, &jws_input);
        let group = Group::default();
        let verifier = group.verifier(
            &[7; 16],
            srp::pool_name(crate::common::POOL),
            "u",
            "Passw0rd!",
        );
        let b_random = [0x3c; 32];
        let server = group.server_key(&verifier.v, &b_random);
        let a_secret = BigUint::from_bytes_be(&[0x5a; 128]);
        let big_a = group.public_a(&a_secret);
        Self {
            point: credential.public_sec1(),
            scalar,
            credential,
            assertion_message,
            assertion_signature,
            rsa,
            rsa_n,
            rsa_e,
            jws_input,
            jws_signature,
            group,
            verifier,
            server,
            a_secret,
            big_a,
            b_random,
        }
    }

    /// Runs `op` once; false if it failed (a broken input, not a measurement).
    pub fn run(&self, op: Op) -> bool {
        match op {
            Op::P256Keygen => CredentialKey::from_scalar(black_box(&self.scalar)).is_ok(),
            Op::P256KeyParse => {
                ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, black_box(&self.point)).is_ok()
            }
            Op::P256Sign => {
                !black_box(self.credential.sign_der(&self.assertion_message)).is_empty()
            }
            Op::P256Verify => self.p256_verify(),
            Op::Rs256Sign => !black_box(rs256_sign(&self.rsa, &self.jws_input)).is_empty(),
            Op::Rs256Verify => self.rs256_verify(),
            Op::SrpClient => self.srp_client(),
            Op::SrpClientA => black_box(self.group.public_a(&self.a_secret)) == self.big_a,
            Op::SrpServerB => {
                let key = self.group.server_key(&self.verifier.v, &self.b_random);
                black_box(key).big_b == self.server.big_b
            }
            Op::SrpServerKey => self
                .group
                .server_session_key(&self.big_a, &self.verifier.v, &self.server)
                .is_ok(),
        }
    }

    fn p256_verify(&self) -> bool {
        let Ok(key) = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, black_box(&self.point)) else {
            return false;
        };
        let message = &self.assertion_message;
        key.verify_sig(message, &self.assertion_signature).is_ok()
    }

    fn rs256_verify(&self) -> bool {
        let key = RsaPublicKeyComponents {
            n: black_box(&self.rsa_n),
            e: &self.rsa_e,
        };
        key.verify(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            &self.jws_input,
            &self.jws_signature,
        )
        .is_ok()
    }

    fn srp_client(&self) -> bool {
        let salt = &self.verifier.salt;
        let name = srp::pool_name(crate::common::POOL);
        let key = self.group.client_session_key(
            &self.a_secret,
            &self.server.big_b,
            salt,
            name,
            "u",
            "Passw0rd!",
        );
        black_box(key).is_ok()
    }
}

fn rs256_sign(pair: &KeyPair, input: &[u8]) -> Vec<u8> {
    let mut sig = vec![0u8; pair.public_modulus_len()];
    let rng = aws_lc_rs::rand::SystemRandom::new();
    pair.sign(&signature::RSA_PKCS1_SHA256, &rng, input, &mut sig)
        .expect("sign");
    sig
}
