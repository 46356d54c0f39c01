//! P-256 key material: credential and attestation keys with RFC 6979 (deterministic) ECDSA
//! signatures, generation from the injected RNG, and PKCS#8 / SPKI encodings.

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rand_core::RngCore;

/// An ES256 private key (a credential key or an attestation key).
#[derive(Clone)]
pub struct CredentialKey {
    signing: SigningKey,
}

impl std::fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private scalar.
        f.debug_struct("CredentialKey").finish_non_exhaustive()
    }
}

/// A key could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("private key is not a valid P-256 scalar")]
    InvalidScalar,
    #[error("private key is not PKCS#8 P-256: {0}")]
    Pkcs8(String),
}

impl CredentialKey {
    /// Draws 32 bytes from the RNG until they form a valid scalar (all but ~2^-32 draws do),
    /// so key generation depends only on the RNG stream, not on p256's sampling algorithm.
    pub fn generate(rng: &mut impl RngCore) -> Self {
        loop {
            let mut bytes = [0u8; 32];
            rng.fill_bytes(&mut bytes);
            if let Ok(key) = Self::from_scalar(&bytes) {
                return key;
            }
        }
    }

    /// The key whose private scalar is these 32 big-endian bytes (as the W3C vectors give it).
    pub fn from_scalar(bytes: &[u8]) -> Result<Self, KeyError> {
        let signing = SigningKey::from_slice(bytes).map_err(|_| KeyError::InvalidScalar)?;
        Ok(Self { signing })
    }

    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let signing =
            SigningKey::from_pkcs8_der(der).map_err(|e| KeyError::Pkcs8(e.to_string()))?;
        Ok(Self { signing })
    }

    /// PKCS#8 DER of the private key (what Chromium's virtual authenticator imports).
    pub fn to_pkcs8_der(&self) -> Vec<u8> {
        // Encoding a valid in-memory P-256 key cannot fail; an empty result would be rejected
        // by any consumer rather than silently accepted.
        self.signing
            .to_pkcs8_der()
            .map(|doc| doc.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// X.509 SubjectPublicKeyInfo DER (`AuthenticatorAttestationResponse.getPublicKey()`).
    pub fn public_spki_der(&self) -> Vec<u8> {
        let public = p256::PublicKey::from(self.signing.verifying_key());
        public
            .to_public_key_der()
            .map(|doc| doc.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// The uncompressed SEC1 point, 0x04 || x || y (65 bytes).
    pub fn public_sec1(&self) -> Vec<u8> {
        self.signing
            .verifying_key()
            .to_sec1_point(false)
            .as_bytes()
            .to_vec()
    }

    /// The affine coordinates x and y, 32 bytes each.
    pub fn public_xy(&self) -> ([u8; 32], [u8; 32]) {
        let point = self.public_sec1();
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        if point.len() == 65 {
            x.copy_from_slice(&point[1..33]);
            y.copy_from_slice(&point[33..65]);
        }
        (x, y)
    }

    /// ECDSA P-256 with SHA-256 over `message`, nonce per RFC 6979; DER-encoded signature.
    pub fn sign_der(&self, message: &[u8]) -> Vec<u8> {
        let signature: Signature = self.signing.sign(message);
        signature.to_der().as_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn pkcs8_round_trip_and_determinism() {
        let key = CredentialKey::generate(&mut ChaCha20Rng::seed_from_u64(1));
        let again = CredentialKey::generate(&mut ChaCha20Rng::seed_from_u64(1));
        assert_eq!(key.public_sec1(), again.public_sec1());
        let back = CredentialKey::from_pkcs8_der(&key.to_pkcs8_der()).unwrap();
        assert_eq!(back.public_sec1(), key.public_sec1());
        assert_eq!(
            key.sign_der(b"m"),
            back.sign_der(b"m"),
            "RFC 6979 is deterministic"
        );
        assert_eq!(key.public_sec1().len(), 65);
        assert!(CredentialKey::from_scalar(&[0; 32]).is_err());
        assert!(CredentialKey::from_pkcs8_der(b"junk").is_err());
    }
}
