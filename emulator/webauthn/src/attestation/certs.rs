//! X.509 for attestation: packed leaf requirements (L3 8.2.1), leaf keys, and chains to roots.
//! Certificates are parsed with x509-parser; every signature is checked with aws-lc.

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::certificate::X509Certificate;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::Error;
use crate::encoding::hex;

const OID_AAGUID: &str = "1.3.6.1.4.1.45724.1.1.4";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";

/// A configured attestation root, parsed once.
#[derive(Debug, Clone)]
pub(crate) struct TrustRoot {
    der: Vec<u8>,
    subject: String,
    subject_raw: Vec<u8>,
}

impl TrustRoot {
    pub(crate) fn parse(der: &[u8]) -> Result<TrustRoot, String> {
        let cert = parse_any(der)?;
        Ok(TrustRoot {
            der: der.to_vec(),
            subject: cert.subject().to_string(),
            subject_raw: cert.subject().as_raw().to_vec(),
        })
    }
}

fn parse_any(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    match x509_parser::parse_x509_certificate(der) {
        Ok((rest, _)) if !rest.is_empty() => Err(format!("{} trailing byte(s)", rest.len())),
        Ok((_, cert)) => Ok(cert),
        Err(e) => Err(e.to_string()),
    }
}

pub(crate) fn parse(der: &[u8], index: usize) -> Result<X509Certificate<'_>, Error> {
    parse_any(der).map_err(|detail| Error::CertificateMalformed { index, detail })
}

/// The requirements on a packed attestation certificate, AAGUID extension included.
pub(crate) fn check_packed_leaf(
    leaf: &X509Certificate<'_>,
    aaguid: &[u8; 16],
) -> Result<(), Error> {
    let version = leaf.version().0 + 1;
    if version != 3 {
        return Err(Error::CertificateNotV3 { actual: version });
    }
    let subject = leaf.subject();
    let has = |n: usize| n > 0;
    let ou_ok = subject
        .iter_organizational_unit()
        .any(|ou| ou.as_str().is_ok_and(|s| s == "Authenticator Attestation"));
    if !(has(subject.iter_country().count())
        && has(subject.iter_organization().count())
        && ou_ok
        && has(subject.iter_common_name().count()))
    {
        return Err(Error::CertificateSubjectInvalid {
            actual: subject.to_string(),
        });
    }
    check_not_ca(leaf)?;
    let ext = leaf
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == OID_AAGUID);
    if let Some(ext) = ext {
        if ext.critical {
            return Err(Error::AaguidExtensionCritical);
        }
        // extnValue holds a DER OCTET STRING of 16 bytes.
        let value = ext.value;
        let inner = match value {
            [0x04, 0x10, rest @ ..] if rest.len() == 16 => rest,
            _ => value,
        };
        if inner != aaguid {
            return Err(Error::AaguidExtensionMismatch {
                expected: hex(aaguid),
                actual: hex(inner),
            });
        }
    }
    Ok(())
}

/// basicConstraints CA must be false (an absent extension means not a CA).
pub(crate) fn check_not_ca(leaf: &X509Certificate<'_>) -> Result<(), Error> {
    match leaf.basic_constraints() {
        Ok(Some(bc)) if bc.value.ca => Err(Error::CertificateIsCa),
        Ok(_) => Ok(()),
        Err(e) => Err(Error::CertificateMalformed {
            index: 0,
            detail: e.to_string(),
        }),
    }
}

/// Whether `spki` is an EC P-256 key (fido-u2f requires it).
pub(crate) fn is_p256(spki: &SubjectPublicKeyInfo<'_>) -> bool {
    spki.algorithm.algorithm.to_id_string() == OID_EC_PUBLIC_KEY && curve(spki) == Some(OID_P256)
}

fn curve(spki: &SubjectPublicKeyInfo<'_>) -> Option<&'static str> {
    let params = spki.algorithm.parameters.as_ref()?;
    let oid = params.as_oid().ok()?.to_id_string();
    [OID_P256, OID_P384, OID_P521]
        .into_iter()
        .find(|c| *c == oid)
}

/// The aws-lc algorithm for a certificate signature made with `issuer`'s key.
fn cert_sig_alg(
    sig_oid: &str,
    issuer: &SubjectPublicKeyInfo<'_>,
) -> Option<&'static dyn VerificationAlgorithm> {
    use signature::*;
    let alg: &'static dyn VerificationAlgorithm = match (sig_oid, curve(issuer)) {
        ("1.2.840.10045.4.3.2", Some(OID_P256)) => &ECDSA_P256_SHA256_ASN1,
        ("1.2.840.10045.4.3.2", Some(OID_P384)) => &ECDSA_P384_SHA256_ASN1,
        ("1.2.840.10045.4.3.2", Some(OID_P521)) => &ECDSA_P521_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", Some(OID_P256)) => &ECDSA_P256_SHA384_ASN1,
        ("1.2.840.10045.4.3.3", Some(OID_P384)) => &ECDSA_P384_SHA384_ASN1,
        ("1.2.840.10045.4.3.3", Some(OID_P521)) => &ECDSA_P521_SHA384_ASN1,
        ("1.2.840.10045.4.3.4", Some(OID_P256)) => &ECDSA_P256_SHA512_ASN1,
        ("1.2.840.10045.4.3.4", Some(OID_P384)) => &ECDSA_P384_SHA512_ASN1,
        ("1.2.840.10045.4.3.4", Some(OID_P521)) => &ECDSA_P521_SHA512_ASN1,
        ("1.2.840.113549.1.1.11", None) => &RSA_PKCS1_2048_8192_SHA256,
        ("1.2.840.113549.1.1.12", None) => &RSA_PKCS1_2048_8192_SHA384,
        ("1.2.840.113549.1.1.13", None) => &RSA_PKCS1_2048_8192_SHA512,
        ("1.3.101.112", None) => &ED25519,
        _ => return None,
    };
    Some(alg)
}

/// Whether `cert` carries a valid signature by `issuer`.
fn signed_by(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
    let Some(alg) = cert_sig_alg(&sig_oid, issuer.public_key()) else {
        return false;
    };
    UnparsedPublicKey::new(alg, &issuer.public_key().subject_public_key.data)
        .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
        .is_ok()
}

fn check_validity(cert: &X509Certificate<'_>, index: usize, now: i64) -> Result<(), Error> {
    let (not_before, not_after) = (
        cert.validity().not_before.timestamp(),
        cert.validity().not_after.timestamp(),
    );
    if now < not_before || now > not_after {
        return Err(Error::CertificateNotValidNow {
            index,
            not_before,
            not_after,
            now,
        });
    }
    Ok(())
}

/// Verifies `x5c` (leaf first) up to one of `roots` at `now` (unix seconds); returns the root's
/// subject.
pub(crate) fn verify_chain(
    x5c: &[Vec<u8>],
    roots: &[TrustRoot],
    now: i64,
) -> Result<String, Error> {
    let certs = x5c
        .iter()
        .enumerate()
        .map(|(i, der)| parse(der, i))
        .collect::<Result<Vec<_>, _>>()?;
    for (index, cert) in certs.iter().enumerate() {
        check_validity(cert, index, now)?;
        if let Some(issuer) = certs.get(index + 1)
            && !signed_by(cert, issuer)
        {
            return Err(Error::CertificateSignatureInvalid { index });
        }
    }
    let Some(last) = certs.last() else {
        return Err(Error::AttestationUntrusted {
            issuer: "(empty x5c)".to_owned(),
        });
    };
    let last_der = x5c.last().map(Vec::as_slice).unwrap_or_default();
    for root in roots {
        if root.der == last_der {
            return Ok(root.subject.clone());
        }
        // Several roots may share a name: only one whose key signed the chain counts.
        if root.subject_raw == last.issuer().as_raw() {
            let root_cert = parse(&root.der, certs.len())?;
            if signed_by(last, &root_cert) {
                check_validity(&root_cert, certs.len(), now)?;
                return Ok(root.subject.clone());
            }
        }
    }
    Err(Error::AttestationUntrusted {
        issuer: last.issuer().to_string(),
    })
}
