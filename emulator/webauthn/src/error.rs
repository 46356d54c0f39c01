//! The verifier's errors: one variant per relying-party check, each naming what was expected.

use thiserror::Error;

/// Why a ceremony was rejected. Every variant is one check of WebAuthn Level 3 sections 7.1
/// (registration) and 7.2 (authentication) or of an attestation format; its message names the
/// check and the expected and actual values, so a failed passkey flow explains itself.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    // ---- input decoding ----
    #[error("response JSON: cannot parse: {detail}")]
    ResponseJsonMalformed { detail: String },
    #[error("{field}: expected base64url, got invalid text: {detail}")]
    Base64Malformed { field: &'static str, detail: String },
    #[error("credential type: expected \"public-key\", got {actual:?}")]
    CredentialTypeMismatch { actual: String },
    #[error("credential id: `id` {id:?} is not the base64url of `rawId` {raw_id:?}")]
    IdRawIdMismatch { id: String, raw_id: String },
    #[error("{structure}: expected no bytes after its content, got {count} trailing bytes")]
    TrailingBytes {
        structure: &'static str,
        count: usize,
    },

    // ---- challenges ----
    #[error("challenge: {challenge} was never issued by this relying party")]
    ChallengeUnknown { challenge: String },
    #[error("challenge: {challenge} was already used (challenges are single-use)")]
    ChallengeReplayed { challenge: String },
    #[error("challenge: {challenge} expired at {expires_at_ms} ms, now is {now_ms} ms")]
    ChallengeExpired {
        challenge: String,
        expires_at_ms: u64,
        now_ms: u64,
    },

    // ---- clientDataJSON ----
    #[error("clientDataJSON: expected JSON with type, challenge and origin: {detail}")]
    ClientDataMalformed { detail: String },
    #[error("clientDataJSON type: expected {expected:?}, got {actual:?}")]
    ClientDataTypeMismatch {
        expected: &'static str,
        actual: String,
    },
    #[error("clientDataJSON challenge: expected {expected}, got {actual}")]
    ChallengeMismatch { expected: String, actual: String },
    #[error("clientDataJSON origin: expected one of {expected:?}, got {actual:?}")]
    OriginMismatch {
        expected: Vec<String>,
        actual: String,
    },
    #[error("clientDataJSON crossOrigin: expected false (cross-origin use not allowed), got true")]
    CrossOriginNotAllowed,
    #[error("clientDataJSON topOrigin: expected one of {expected:?}, got {actual:?}")]
    TopOriginMismatch {
        expected: Vec<String>,
        actual: String,
    },

    // ---- attestation object and authenticator data ----
    #[error("attestationObject: {detail}")]
    AttestationObjectMalformed { detail: String },
    #[error("authenticatorData: {detail}")]
    AuthenticatorDataMalformed { detail: String },
    #[error("authenticatorData rpIdHash: expected {expected} (SHA-256 of {rp_id:?}), got {actual}")]
    RpIdHashMismatch {
        rp_id: String,
        expected: String,
        actual: String,
    },
    #[error("authenticatorData flags: expected UP (user present) = 1, got 0")]
    UserNotPresent,
    #[error("authenticatorData flags: expected UV (user verified) = 1 (required), got 0")]
    UserNotVerified,
    #[error("authenticatorData flags: expected BS = 0 when BE = 0, got BS = 1")]
    BackupStateWithoutEligibility,
    #[error("authenticatorData: expected attested credential data (AT flag), got none")]
    AttestedCredentialDataMissing,
    #[error("authenticatorData: expected no attested credential data in an assertion, got some")]
    UnexpectedAttestedCredentialData,
    #[error("credential id length: expected at most {max} bytes, got {actual}")]
    CredentialIdTooLong { max: usize, actual: usize },
    #[error("credential id: rawId {response} differs from authenticatorData's {auth_data}")]
    CredentialIdMismatch { response: String, auth_data: String },
    #[error("credential public key (COSE): {detail}")]
    CoseKeyMalformed { detail: String },
    #[error("algorithm: {alg} is not supported (ES256, ES384, ES512, RS256, EdDSA)")]
    UnsupportedAlgorithm { alg: i64 },
    #[error("algorithm: expected one of {expected:?} (pubKeyCredParams), got {actual}")]
    AlgorithmNotRequested { expected: Vec<i64>, actual: i64 },
    #[error("extensions: {id:?} in authenticatorData was not requested")]
    ExtensionNotRequested { id: String },

    // ---- attestation statement ----
    #[error("attestation fmt: expected none, packed or fido-u2f (case-sensitive), got {fmt:?}")]
    UnsupportedFormat { fmt: String },
    #[error("attestation statement ({fmt}): {detail}")]
    AttestationStatementMalformed { fmt: &'static str, detail: String },
    #[error("attestation statement ({fmt}) alg: expected {expected}, got {actual}")]
    AttestationAlgMismatch {
        fmt: &'static str,
        expected: i64,
        actual: i64,
    },
    #[error("attestation signature ({fmt}): does not verify over authenticatorData || hash")]
    AttestationSignatureInvalid { fmt: &'static str },
    #[error("attestation certificate #{index}: cannot parse: {detail}")]
    CertificateMalformed { index: usize, detail: String },
    #[error("attestation certificate version: expected 3, got {actual}")]
    CertificateNotV3 { actual: u32 },
    #[error(
        "attestation certificate subject: expected C, O, CN and OU=\"Authenticator Attestation\", got {actual:?}"
    )]
    CertificateSubjectInvalid { actual: String },
    #[error("attestation certificate basic constraints: expected CA = false, got CA = true")]
    CertificateIsCa,
    #[error("attestation certificate AAGUID extension: expected non-critical, got critical")]
    AaguidExtensionCritical,
    #[error(
        "attestation certificate AAGUID extension: expected {expected} (authData), got {actual}"
    )]
    AaguidExtensionMismatch { expected: String, actual: String },
    #[error("fido-u2f: expected an ES256 (P-256) credential key, got algorithm {actual}")]
    U2fKeyNotP256 { actual: i64 },

    // ---- attestation trust ----
    #[error("attestation trust: policy {policy} refuses {actual} attestation")]
    AttestationTypeRefused {
        policy: &'static str,
        actual: &'static str,
    },
    #[error("attestation trust: expected a chain to a configured root, top issuer is {issuer:?}")]
    AttestationUntrusted { issuer: String },
    #[error("attestation certificate #{index}: signature does not verify with its issuer's key")]
    CertificateSignatureInvalid { index: usize },
    #[error(
        "attestation certificate #{index}: valid from {not_before} to {not_after} (unix s), now {now}"
    )]
    CertificateNotValidNow {
        index: usize,
        not_before: i64,
        not_after: i64,
        now: i64,
    },

    // ---- credential bookkeeping ----
    #[error("credential id: {id} is already registered")]
    CredentialIdAlreadyRegistered { id: String },
    #[error("credential id: expected one of allowCredentials {allowed:?}, got {id}")]
    CredentialNotAllowed { id: String, allowed: Vec<String> },
    #[error("credential id: expected the stored credential {expected}, got {actual}")]
    CredentialMismatch { expected: String, actual: String },
    #[error("userHandle: expected {expected} (discoverable login), got none")]
    UserHandleMissing { expected: String },
    #[error("userHandle: expected {expected}, got {actual}")]
    UserHandleMismatch { expected: String, actual: String },
    #[error("authenticatorData flags: expected BE = {stored} as registered, got BE = {received}")]
    BackupEligibilityChanged { stored: bool, received: bool },
    #[error("assertion signature: does not verify with the stored {alg} key")]
    SignatureInvalid { alg: &'static str },
    #[error(
        "signCount: expected greater than {stored}, got {received} (possible cloned authenticator)"
    )]
    CounterRegression { stored: u32, received: u32 },
}

impl Error {
    /// The variant's name (e.g. `ChallengeMismatch`): a stable identifier for machines.
    #[allow(clippy::unneeded_struct_pattern)]
    pub fn check(&self) -> &'static str {
        use Error::*;
        match self {
            ResponseJsonMalformed { .. } => "ResponseJsonMalformed",
            Base64Malformed { .. } => "Base64Malformed",
            CredentialTypeMismatch { .. } => "CredentialTypeMismatch",
            IdRawIdMismatch { .. } => "IdRawIdMismatch",
            TrailingBytes { .. } => "TrailingBytes",
            ChallengeUnknown { .. } => "ChallengeUnknown",
            ChallengeReplayed { .. } => "ChallengeReplayed",
            ChallengeExpired { .. } => "ChallengeExpired",
            ClientDataMalformed { .. } => "ClientDataMalformed",
            ClientDataTypeMismatch { .. } => "ClientDataTypeMismatch",
            ChallengeMismatch { .. } => "ChallengeMismatch",
            OriginMismatch { .. } => "OriginMismatch",
            CrossOriginNotAllowed { .. } => "CrossOriginNotAllowed",
            TopOriginMismatch { .. } => "TopOriginMismatch",
            AttestationObjectMalformed { .. } => "AttestationObjectMalformed",
            AuthenticatorDataMalformed { .. } => "AuthenticatorDataMalformed",
            RpIdHashMismatch { .. } => "RpIdHashMismatch",
            UserNotPresent { .. } => "UserNotPresent",
            UserNotVerified { .. } => "UserNotVerified",
            BackupStateWithoutEligibility { .. } => "BackupStateWithoutEligibility",
            AttestedCredentialDataMissing { .. } => "AttestedCredentialDataMissing",
            UnexpectedAttestedCredentialData { .. } => "UnexpectedAttestedCredentialData",
            CredentialIdTooLong { .. } => "CredentialIdTooLong",
            CredentialIdMismatch { .. } => "CredentialIdMismatch",
            CoseKeyMalformed { .. } => "CoseKeyMalformed",
            UnsupportedAlgorithm { .. } => "UnsupportedAlgorithm",
            AlgorithmNotRequested { .. } => "AlgorithmNotRequested",
            ExtensionNotRequested { .. } => "ExtensionNotRequested",
            UnsupportedFormat { .. } => "UnsupportedFormat",
            AttestationStatementMalformed { .. } => "AttestationStatementMalformed",
            AttestationAlgMismatch { .. } => "AttestationAlgMismatch",
            AttestationSignatureInvalid { .. } => "AttestationSignatureInvalid",
            CertificateMalformed { .. } => "CertificateMalformed",
            CertificateNotV3 { .. } => "CertificateNotV3",
            CertificateSubjectInvalid { .. } => "CertificateSubjectInvalid",
            CertificateIsCa { .. } => "CertificateIsCa",
            AaguidExtensionCritical { .. } => "AaguidExtensionCritical",
            AaguidExtensionMismatch { .. } => "AaguidExtensionMismatch",
            U2fKeyNotP256 { .. } => "U2fKeyNotP256",
            AttestationTypeRefused { .. } => "AttestationTypeRefused",
            AttestationUntrusted { .. } => "AttestationUntrusted",
            CertificateSignatureInvalid { .. } => "CertificateSignatureInvalid",
            CertificateNotValidNow { .. } => "CertificateNotValidNow",
            CredentialIdAlreadyRegistered { .. } => "CredentialIdAlreadyRegistered",
            CredentialNotAllowed { .. } => "CredentialNotAllowed",
            CredentialMismatch { .. } => "CredentialMismatch",
            UserHandleMissing { .. } => "UserHandleMissing",
            UserHandleMismatch { .. } => "UserHandleMismatch",
            BackupEligibilityChanged { .. } => "BackupEligibilityChanged",
            SignatureInvalid { .. } => "SignatureInvalid",
            CounterRegression { .. } => "CounterRegression",
        }
    }
}

/// A relying-party configuration that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("rp_id: expected a domain, got an empty string")]
    EmptyRpId,
    #[error("origins: expected at least one allowed origin, got none")]
    NoOrigins,
    #[error("trust root #{index}: cannot parse: {detail}")]
    TrustRoot { index: usize, detail: String },
    #[error("attestation policy require_trusted_root: expected at least one trust root, got none")]
    NoTrustRoots,
}
