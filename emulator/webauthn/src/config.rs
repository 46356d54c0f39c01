//! Relying-party configuration and policies, validated once into a [`RelyingParty`].

use serde::{Deserialize, Serialize};

use crate::attestation::TrustRoot;
use crate::encoding::sha256;
use crate::{Alg, ConfigError};

/// Which attestation a registration may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttestationPolicy {
    /// Any verified statement (`none`, self, or x5c whatever its root); the type is recorded.
    #[default]
    AcceptAny,
    /// Only x5c attestation whose chain leads to one of the configured roots.
    RequireTrustedRoot,
    /// Only `none`: the relying party wants no attestation at all.
    RefuseAttestation,
}

impl AttestationPolicy {
    pub fn name(self) -> &'static str {
        match self {
            AttestationPolicy::AcceptAny => "accept_any",
            AttestationPolicy::RequireTrustedRoot => "require_trusted_root",
            AttestationPolicy::RefuseAttestation => "refuse_attestation",
        }
    }
}

/// What to do when a signature counter does not increase (L3 7.2 step 21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterPolicy {
    /// Fail with [`crate::Error::CounterRegression`].
    #[default]
    Reject,
    /// Accept, report `counter_regressed` in the outcome, keep the stored counter.
    Flag,
}

/// `UserVerificationRequirement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserVerification {
    Required,
    #[default]
    Preferred,
    Discouraged,
}

impl UserVerification {
    pub fn as_str(self) -> &'static str {
        match self {
            UserVerification::Required => "required",
            UserVerification::Preferred => "preferred",
            UserVerification::Discouraged => "discouraged",
        }
    }

    /// Parses the options' string; unknown values are ignored as the spec says (-> preferred).
    pub fn parse(text: Option<&str>) -> Self {
        match text {
            Some("required") => UserVerification::Required,
            Some("discouraged") => UserVerification::Discouraged,
            _ => UserVerification::Preferred,
        }
    }
}

/// Everything a relying party decides, as plain data.
#[derive(Debug, Clone)]
pub struct RpConfig {
    pub rp_id: String,
    pub rp_name: String,
    /// Exact origins accepted in clientDataJSON (`https://example.org`, `http://idp.localhost:9230`).
    pub origins: Vec<String>,
    /// Accept `crossOrigin: true` (the ceremony ran in a cross-origin iframe).
    pub allow_cross_origin: bool,
    /// Top-level origins accepted in `topOrigin` when cross-origin is allowed.
    pub top_origins: Vec<String>,
    /// Lifetime of an issued challenge, also sent as the options' `timeout`.
    pub challenge_ttl_ms: u64,
    /// Algorithms offered in `pubKeyCredParams`, in preference order.
    pub algorithms: Vec<Alg>,
    pub attestation: AttestationPolicy,
    /// DER X.509 attestation roots (used by `RequireTrustedRoot`, reported under `AcceptAny`).
    pub trust_roots: Vec<Vec<u8>>,
    pub counter: CounterPolicy,
    /// Default user verification requirement for both ceremonies.
    pub user_verification: UserVerification,
}

impl RpConfig {
    /// A strict default for `rp_id` served at `origin`: all algorithms, any attestation,
    /// counter regressions rejected, UV preferred, challenges valid 5 minutes.
    pub fn new(rp_id: impl Into<String>, origin: impl Into<String>) -> Self {
        let rp_id = rp_id.into();
        RpConfig {
            rp_name: rp_id.clone(),
            rp_id,
            origins: vec![origin.into()],
            allow_cross_origin: false,
            top_origins: Vec::new(),
            challenge_ttl_ms: 300_000,
            algorithms: Alg::ALL.to_vec(),
            attestation: AttestationPolicy::AcceptAny,
            trust_roots: Vec::new(),
            counter: CounterPolicy::Reject,
            user_verification: UserVerification::Preferred,
        }
    }
}

/// A validated configuration with what is derived from it computed once.
#[derive(Debug, Clone)]
pub struct RelyingParty {
    config: RpConfig,
    rp_id_hash: [u8; 32],
    roots: Vec<TrustRoot>,
}

impl RelyingParty {
    pub fn new(config: RpConfig) -> Result<Self, ConfigError> {
        if config.rp_id.is_empty() {
            return Err(ConfigError::EmptyRpId);
        }
        if config.origins.is_empty() {
            return Err(ConfigError::NoOrigins);
        }
        let roots = config
            .trust_roots
            .iter()
            .enumerate()
            .map(|(index, der)| {
                TrustRoot::parse(der).map_err(|detail| ConfigError::TrustRoot { index, detail })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if config.attestation == AttestationPolicy::RequireTrustedRoot && roots.is_empty() {
            return Err(ConfigError::NoTrustRoots);
        }
        Ok(RelyingParty {
            rp_id_hash: sha256(config.rp_id.as_bytes()),
            config,
            roots,
        })
    }

    pub fn config(&self) -> &RpConfig {
        &self.config
    }

    pub(crate) fn rp_id_hash(&self) -> &[u8; 32] {
        &self.rp_id_hash
    }

    pub(crate) fn roots(&self) -> &[TrustRoot] {
        &self.roots
    }
}
