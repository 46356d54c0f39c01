//! The `fido-u2f` attestation format (L3 8.6): one P-256 certificate signing the U2F
//! registration data.

use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};

use super::{Input, certs, sig, x5c};
use crate::Error;

const FMT: &str = "fido-u2f";

/// Verifies the statement; returns the x5c chain (exactly one certificate).
pub(super) fn verify(input: &Input<'_>) -> Result<Vec<Vec<u8>>, Error> {
    let bad = |detail: &str| Error::AttestationStatementMalformed {
        fmt: FMT,
        detail: detail.to_owned(),
    };
    let chain = x5c(FMT, input.att_stmt)?;
    let [cert_der] = chain.as_slice() else {
        return Err(bad(&format!(
            "x5c: expected exactly 1 certificate, got {}",
            chain.len()
        )));
    };
    let signature = sig(FMT, input.att_stmt)?;
    let cert = certs::parse(cert_der, 0)?;
    if !certs::is_p256(cert.public_key()) {
        return Err(bad("attestation certificate key is not EC P-256"));
    }
    let Some(point) = input.key.p256_point() else {
        return Err(Error::U2fKeyNotP256 {
            actual: input.key.alg().cose_id(),
        });
    };
    let data = [
        &[0x00][..],
        input.auth_data.rp_id_hash,
        &input.client_data_hash[..],
        input.credential_id,
        point,
    ]
    .concat();
    let key = &cert.public_key().subject_public_key.data;
    if UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, key)
        .verify(&data, signature)
        .is_err()
    {
        return Err(Error::AttestationSignatureInvalid { fmt: FMT });
    }
    Ok(chain)
}
