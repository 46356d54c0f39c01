//! The attestation certificate chain: a self-signed root CA and a batch attestation leaf meeting
//! the packed format's certificate requirements (L3 8.2.1), generated with rcgen and signed
//! with `p256` (RFC 6979), so the same seed gives the same certificates byte for byte.

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, IsCa, Issuer,
    KeyIdMethod, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PublicKeyData, SerialNumber,
    SignatureAlgorithm, SigningKey,
};
use sha2::{Digest, Sha256};

use super::keys::CredentialKey;

/// OID of the FIDO extension carrying the AAGUID in an attestation certificate.
const FIDO_GEN_CE_AAGUID: &[u64] = &[1, 3, 6, 1, 4, 1, 45724, 1, 1, 4];

/// rcgen's view of one of our P-256 keys.
struct P256Signer<'a> {
    key: &'a CredentialKey,
    point: Vec<u8>,
}

impl<'a> P256Signer<'a> {
    fn new(key: &'a CredentialKey) -> Self {
        Self {
            key,
            point: key.public_sec1(),
        }
    }
}

impl PublicKeyData for P256Signer<'_> {
    fn der_bytes(&self) -> &[u8] {
        &self.point
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P256_SHA256
    }
}

impl SigningKey for P256Signer<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(self.key.sign_der(msg))
    }
}

/// Names of the chain; only the common names vary between devices.
#[derive(Debug, Clone)]
pub struct ChainNames {
    pub root_common_name: String,
    pub leaf_common_name: String,
}

/// The DER certificates of a generated chain.
#[derive(Debug, Clone)]
pub struct Chain {
    pub root_der: Vec<u8>,
    pub leaf_der: Vec<u8>,
}

fn key_id(key: &CredentialKey) -> KeyIdMethod {
    // RFC 7093 method 1: the leftmost 160 bits of SHA-256 of the subjectPublicKey.
    let digest = Sha256::digest(key.public_sec1());
    KeyIdMethod::PreSpecified(digest[..20].to_vec())
}

fn name(common_name: &str, unit: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "US");
    dn.push(DnType::OrganizationName, "cognito-twin harness");
    dn.push(DnType::OrganizationalUnitName, unit);
    dn.push(DnType::CommonName, common_name);
    dn
}

fn serial(bytes: [u8; 16]) -> SerialNumber {
    let mut bytes = bytes;
    bytes[0] &= 0x7f; // positive INTEGER
    bytes[0] |= 0x01; // no leading zero octet to strip
    SerialNumber::from_slice(&bytes)
}

/// The root CA certificate parameters (self-signed, CA, keyCertSign).
fn root_params(
    names: &ChainNames,
    root: &CredentialKey,
    serial_bytes: [u8; 16],
) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(&names.root_common_name, "Authenticator Attestation CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.serial_number = Some(serial(serial_bytes));
    params.key_identifier_method = key_id(root);
    params
}

/// Generates the chain: root signed by itself, leaf (the batch attestation key's certificate,
/// carrying the AAGUID) signed by the root.
pub fn generate(
    names: &ChainNames,
    root: &CredentialKey,
    leaf: &CredentialKey,
    aaguid: [u8; 16],
    serials: ([u8; 16], [u8; 16]),
) -> Result<Chain, rcgen::Error> {
    let root_signer = P256Signer::new(root);
    let root_params = root_params(names, root, serials.0);
    let root_cert = root_params.self_signed(&root_signer)?;

    let mut params = CertificateParams::default();
    params.distinguished_name = name(&names.leaf_common_name, "Authenticator Attestation");
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.serial_number = Some(serial(serials.1));
    params.key_identifier_method = key_id(leaf);
    let mut aaguid_der = vec![0x04, 16];
    aaguid_der.extend_from_slice(&aaguid);
    let extension = CustomExtension::from_oid_content(FIDO_GEN_CE_AAGUID, aaguid_der);
    params.custom_extensions = vec![extension];
    let issuer = Issuer::from_params(&root_params, &root_signer);
    let leaf_cert = params.signed_by(&P256Signer::new(leaf), &issuer)?;
    Ok(Chain {
        root_der: root_cert.der().to_vec(),
        leaf_der: leaf_cert.der().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_is_deterministic_and_carries_the_aaguid() {
        let names = ChainNames {
            root_common_name: "Root".into(),
            leaf_common_name: "Leaf".into(),
        };
        let root = CredentialKey::from_scalar(&[3; 32]).unwrap();
        let leaf = CredentialKey::from_scalar(&[4; 32]).unwrap();
        let a = generate(&names, &root, &leaf, [0xab; 16], ([1; 16], [2; 16])).unwrap();
        let b = generate(&names, &root, &leaf, [0xab; 16], ([1; 16], [2; 16])).unwrap();
        assert_eq!(a.leaf_der, b.leaf_der);
        assert_eq!(a.root_der, b.root_der);
        let needle = [[0x04, 16].as_slice(), &[0xab; 16]].concat();
        assert!(a.leaf_der.windows(18).any(|w| w == needle.as_slice()));
    }
}
