//! Attestation statements, one function per format (`none`, `packed` self, `packed` x5c,
//! `fido-u2f`), and the CBOR attestation object `{fmt, attStmt, authData}`.

use ciborium::Value;
use serde::{Deserialize, Serialize};

use super::keys::CredentialKey;

/// COSE algorithm identifier of ES256.
pub const ES256: i64 = -7;

/// The attestation format an authenticator produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttestationFormat {
    /// `none`: empty attestation statement.
    None,
    /// `packed` self attestation: signed with the credential key, no x5c.
    PackedSelf,
    /// `packed` full attestation: signed with a batch key whose certificate chains to a root.
    PackedX5c,
    /// `fido-u2f`: a U2F registration signature with the batch certificate.
    FidoU2f,
}

impl AttestationFormat {
    /// Whether the statement carries a certificate (and so identifies the device model).
    pub fn has_x5c(self) -> bool {
        matches!(self, Self::PackedX5c | Self::FidoU2f)
    }
}

/// The batch attestation key and its certificate (leaf first, root not included).
#[derive(Debug, Clone)]
pub struct Batch {
    pub key: CredentialKey,
    pub x5c: Vec<Vec<u8>>,
}

/// What a format's statement is computed from.
#[derive(Debug)]
pub struct Signed<'a> {
    pub auth_data: &'a [u8],
    pub client_data_hash: &'a [u8; 32],
    pub credential_key: &'a CredentialKey,
    pub credential_id: &'a [u8],
    pub rp_id_hash: &'a [u8; 32],
}

pub(crate) fn cbor_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = ciborium::into_writer(value, &mut out);
    out
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn x5c(certs: &[Vec<u8>]) -> Value {
    Value::Array(certs.iter().cloned().map(Value::Bytes).collect())
}

pub fn none() -> Value {
    Value::Map(Vec::new())
}

/// `packed` self attestation (L3 8.2): sig over authData || clientDataHash with the credential
/// key itself.
pub fn packed_self(input: &Signed<'_>) -> Value {
    let message = [input.auth_data, input.client_data_hash.as_slice()].concat();
    Value::Map(vec![
        (text("alg"), Value::Integer(ES256.into())),
        (
            text("sig"),
            Value::Bytes(input.credential_key.sign_der(&message)),
        ),
    ])
}

/// `packed` full attestation: the same message signed with the batch key, plus x5c.
pub fn packed_x5c(input: &Signed<'_>, batch: &Batch) -> Value {
    let message = [input.auth_data, input.client_data_hash.as_slice()].concat();
    Value::Map(vec![
        (text("alg"), Value::Integer(ES256.into())),
        (text("sig"), Value::Bytes(batch.key.sign_der(&message))),
        (text("x5c"), x5c(&batch.x5c)),
    ])
}

/// `fido-u2f` (L3 8.6): sig over 0x00 || rpIdHash || clientDataHash || credentialId ||
/// publicKeyU2F (the 65-byte uncompressed point), with exactly one certificate.
pub fn fido_u2f(input: &Signed<'_>, batch: &Batch) -> Value {
    let message = [
        &[0u8][..],
        input.rp_id_hash,
        input.client_data_hash,
        input.credential_id,
        &input.credential_key.public_sec1(),
    ]
    .concat();
    let leaf: Vec<Vec<u8>> = batch.x5c.iter().take(1).cloned().collect();
    Value::Map(vec![
        (text("sig"), Value::Bytes(batch.key.sign_der(&message))),
        (text("x5c"), x5c(&leaf)),
    ])
}

/// The attestation object, keys in CTAP2 canonical order (fmt, attStmt, authData).
pub fn object(fmt: &str, statement: Value, auth_data: &[u8]) -> Vec<u8> {
    cbor_bytes(&Value::Map(vec![
        (text("fmt"), text(fmt)),
        (text("attStmt"), statement),
        (text("authData"), Value::Bytes(auth_data.to_vec())),
    ]))
}

/// Builds the statement for `format`; `batch` must be present for the x5c formats (the
/// authenticator creates it with the device).
pub fn statement(
    format: AttestationFormat,
    input: &Signed<'_>,
    batch: Option<&Batch>,
) -> (&'static str, Value) {
    match (format, batch) {
        (AttestationFormat::PackedSelf, _) => ("packed", packed_self(input)),
        (AttestationFormat::PackedX5c, Some(batch)) => ("packed", packed_x5c(input, batch)),
        (AttestationFormat::FidoU2f, Some(batch)) => ("fido-u2f", fido_u2f(input, batch)),
        _ => ("none", none()),
    }
}
