//! The `packed` attestation format (L3 8.2): x5c (basic) or self attestation.

use aws_lc_rs::signature::UnparsedPublicKey;

use super::{AttestationType, Input, certs, sig, x5c};
use crate::{Alg, Error, cbor};

const FMT: &str = "packed";

/// Verifies the statement; returns its type and the x5c chain (empty for self attestation).
pub(super) fn verify(input: &Input<'_>) -> Result<(AttestationType, Vec<Vec<u8>>), Error> {
    let alg = cbor::text_key(input.att_stmt, "alg")
        .and_then(cbor::as_i64)
        .ok_or_else(|| Error::AttestationStatementMalformed {
            fmt: FMT,
            detail: "alg is missing or not an integer".to_owned(),
        })?;
    let signature = sig(FMT, input.att_stmt)?;
    let chain = x5c(FMT, input.att_stmt)?;
    let signed = input.signed_data();
    let Some(leaf_der) = chain.first() else {
        // Self attestation: the credential key signs, with its own algorithm.
        if alg != input.key.alg().cose_id() {
            return Err(Error::AttestationAlgMismatch {
                fmt: FMT,
                expected: input.key.alg().cose_id(),
                actual: alg,
            });
        }
        if !input.key.verify(&signed, signature) {
            return Err(Error::AttestationSignatureInvalid { fmt: FMT });
        }
        return Ok((AttestationType::SelfAttestation, chain));
    };
    let alg = Alg::from_cose(alg)?;
    let leaf = certs::parse(leaf_der, 0)?;
    let key = &leaf.public_key().subject_public_key.data;
    if UnparsedPublicKey::new(alg.verification(), key)
        .verify(&signed, signature)
        .is_err()
    {
        return Err(Error::AttestationSignatureInvalid { fmt: FMT });
    }
    certs::check_packed_leaf(&leaf, input.aaguid)?;
    Ok((AttestationType::Basic, chain))
}
