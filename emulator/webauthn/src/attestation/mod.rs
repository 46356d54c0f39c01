//! Attestation statements: format dispatch (`none`, `packed`, `fido-u2f`) and the trust policy.

mod certs;
mod fido_u2f;
mod packed;

use ciborium::Value;
use serde::{Deserialize, Serialize};

pub(crate) use certs::TrustRoot;

use crate::auth_data::AuthenticatorData;
use crate::{AttestationPolicy, CredentialPublicKey, Error, RelyingParty, Trace};

/// The attestation type a verified statement establishes (L3 6.5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttestationType {
    /// `none`: no attestation.
    None,
    /// Packed without x5c: signed by the credential key itself.
    SelfAttestation,
    /// An attestation certificate chain (x5c); Basic or AttCA cannot be told apart here.
    Basic,
}

impl AttestationType {
    pub fn name(self) -> &'static str {
        match self {
            AttestationType::None => "none",
            AttestationType::SelfAttestation => "self",
            AttestationType::Basic => "basic (x5c)",
        }
    }
}

/// What a verified statement says, after the trust policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    pub format: &'static str,
    pub type_: AttestationType,
    /// Subject of the configured root the x5c chain leads to, when it does.
    pub trusted_root: Option<String>,
}

/// The inputs every format's verification procedure takes.
pub(crate) struct Input<'a> {
    pub att_stmt: &'a [(Value, Value)],
    pub auth_data_raw: &'a [u8],
    pub auth_data: &'a AuthenticatorData<'a>,
    pub credential_id: &'a [u8],
    pub aaguid: &'a [u8; 16],
    pub client_data_hash: &'a [u8; 32],
    pub key: &'a CredentialPublicKey,
}

impl Input<'_> {
    /// `authenticatorData || clientDataHash`, what packed signatures cover.
    pub(crate) fn signed_data(&self) -> Vec<u8> {
        [self.auth_data_raw, &self.client_data_hash[..]].concat()
    }
}

/// Runs the format's verification, then applies the relying party's trust policy.
pub(crate) fn verify(
    rp: &RelyingParty,
    fmt: &str,
    input: &Input<'_>,
    now_ms: u64,
    trace: &mut Trace,
) -> Result<Attestation, Error> {
    let (format, type_, x5c) = match fmt {
        "none" => {
            if !input.att_stmt.is_empty() {
                return Err(Error::AttestationStatementMalformed {
                    fmt: "none",
                    detail: format!(
                        "expected an empty map, got {} entries",
                        input.att_stmt.len()
                    ),
                });
            }
            ("none", AttestationType::None, Vec::new())
        }
        "packed" => {
            let (type_, x5c) = packed::verify(input)?;
            ("packed", type_, x5c)
        }
        "fido-u2f" => ("fido-u2f", AttestationType::Basic, fido_u2f::verify(input)?),
        other => {
            return Err(Error::UnsupportedFormat {
                fmt: other.to_owned(),
            });
        }
    };
    trace.pass("attestation statement", || {
        format!("fmt {format:?} verified: {}", type_.name())
    });
    let policy = rp.config().attestation;
    let refused = || Error::AttestationTypeRefused {
        policy: policy.name(),
        actual: type_.name(),
    };
    let now_s = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
    let trusted_root = match policy {
        AttestationPolicy::RefuseAttestation if type_ != AttestationType::None => {
            return Err(refused());
        }
        AttestationPolicy::RequireTrustedRoot if type_ != AttestationType::Basic => {
            return Err(refused());
        }
        AttestationPolicy::RequireTrustedRoot => {
            Some(certs::verify_chain(&x5c, rp.roots(), now_s)?)
        }
        _ if x5c.is_empty() || rp.roots().is_empty() => None,
        _ => certs::verify_chain(&x5c, rp.roots(), now_s).ok(),
    };
    trace.pass("attestation trust", || match &trusted_root {
        Some(root) => format!("policy {}: chain leads to root {root:?}", policy.name()),
        None => format!("policy {}: {} accepted", policy.name(), type_.name()),
    });
    Ok(Attestation {
        format,
        type_,
        trusted_root,
    })
}

/// `attStmt.x5c` as a list of DER certificates (absent -> empty).
pub(crate) fn x5c(fmt: &'static str, att_stmt: &[(Value, Value)]) -> Result<Vec<Vec<u8>>, Error> {
    let bad = |detail: &str| Error::AttestationStatementMalformed {
        fmt,
        detail: detail.to_owned(),
    };
    match crate::cbor::text_key(att_stmt, "x5c") {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| match v {
                Value::Bytes(b) => Ok(b.clone()),
                _ => Err(bad("x5c entry is not a byte string")),
            })
            .collect(),
        Some(_) => Err(bad("x5c is not a non-empty array")),
    }
}

/// `attStmt.sig` as bytes.
pub(crate) fn sig<'a>(
    fmt: &'static str,
    att_stmt: &'a [(Value, Value)],
) -> Result<&'a [u8], Error> {
    match crate::cbor::text_key(att_stmt, "sig") {
        Some(Value::Bytes(b)) => Ok(b),
        _ => Err(Error::AttestationStatementMalformed {
            fmt,
            detail: "sig is missing or not a byte string".to_owned(),
        }),
    }
}
