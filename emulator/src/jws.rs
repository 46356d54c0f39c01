//! RS256 signing keys and compact JWS for both services, through `jsonwebtoken`: keys are drawn
//! from the injected random source, tokens are signed with the caller's header and verified
//! with the algorithm pinned to RS256; each failed check has its own [`JwsError`] variant.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::traits::PublicKeyParts;
use serde_json::{Map, Value};

use crate::clock::Entropy;

/// The modulus size of every signing key, Cognito's and the IdP's.
const BITS: usize = 2048;

/// Why a key could not be made or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("RSA key generation failed: {0}")]
    Generate(String),
    #[error("stored signing key rejected: {0}")]
    Rejected(String),
    #[error("token signing failed: {0}")]
    Sign(String),
}

/// Which check a token failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("malformed token ({0})")]
    Malformed(String),
    #[error("algorithm {0} is not RS256")]
    Algorithm(String),
    #[error("unusable key ({0})")]
    Key(String),
    #[error("signature check failed")]
    Signature,
    #[error("claim {0} missing")]
    MissingClaim(String),
    #[error("claim {0} malformed")]
    ClaimFormat(String),
    #[error("issuer mismatch")]
    Issuer,
    #[error("audience mismatch")]
    Audience,
    #[error("subject mismatch")]
    Subject,
    #[error("claims are not a JSON object")]
    Claims,
    #[error("token check failed ({0})")]
    Other(String),
}

impl From<jsonwebtoken::errors::Error> for JwsError {
    fn from(e: jsonwebtoken::errors::Error) -> Self {
        match e.kind() {
            ErrorKind::InvalidToken
            | ErrorKind::Base64(_)
            | ErrorKind::Json(_)
            | ErrorKind::Utf8(_) => Self::Malformed(e.to_string()),
            ErrorKind::InvalidAlgorithm
            | ErrorKind::MissingAlgorithm
            | ErrorKind::InvalidAlgorithmName => Self::Algorithm(e.to_string()),
            ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidKeyFormat => Self::Key(e.to_string()),
            ErrorKind::InvalidSignature => Self::Signature,
            ErrorKind::MissingRequiredClaim(c) => Self::MissingClaim(c.clone()),
            ErrorKind::InvalidClaimFormat(c) => Self::ClaimFormat(c.clone()),
            ErrorKind::InvalidIssuer => Self::Issuer,
            ErrorKind::InvalidAudience => Self::Audience,
            ErrorKind::InvalidSubject => Self::Subject,
            _ => Self::Other(e.to_string()),
        }
    }
}

/// A validation that accepts RS256 alone and refuses a token naming an audience (callers that
/// expect one name it); callers add the claims they require. `exp` is left to them because
/// jsonwebtoken would read the system clock, not the injected one.
pub fn rs256() -> Validation {
    let mut v = Validation::new(Algorithm::RS256);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.leeway = 0;
    v.required_spec_claims.clear();
    v
}

/// Check `token`'s signature with `key` (RS256, whatever `validation` lists) and the claims
/// `validation` names; returns the claims.
pub fn verify(
    token: &str,
    key: &DecodingKey,
    validation: &Validation,
) -> Result<Map<String, Value>, JwsError> {
    let mut pinned = validation.clone();
    pinned.algorithms = vec![Algorithm::RS256];
    let alg = jsonwebtoken::decode_header(token)?.alg;
    if alg != Algorithm::RS256 {
        return Err(JwsError::Algorithm(format!("{alg:?}")));
    }
    let data = jsonwebtoken::decode::<Value>(token, key, &pinned)?;
    match data.claims {
        Value::Object(claims) => Ok(claims),
        _ => Err(JwsError::Claims),
    }
}

/// The claims of `token`, unverified: only to learn which key and validation to check it
/// with; nothing in them is trusted until [`verify`] passes.
pub fn unverified_claims(token: &str) -> Result<Map<String, Value>, JwsError> {
    let data = jsonwebtoken::dangerous::insecure_decode::<Value>(token)?;
    match data.claims {
        Value::Object(claims) => Ok(claims),
        _ => Err(JwsError::Claims),
    }
}

/// A new key: 32 bytes of the injected source seed the prime search, so a seeded run makes
/// the same keys. PKCS#8 DER, the stored form.
pub fn generate(entropy: &Entropy) -> Result<Vec<u8>, KeyError> {
    #[cfg(fuzzing)]
    return fuzzing_key(entropy);
    #[cfg(not(fuzzing))]
    generate_new(entropy)
}

/// Under cargo-fuzz only (`cfg(fuzzing)`): key generation is not what the fuzz targets test,
/// and the prime search, instrumented, took 98% of the JSON API target's time (every
/// CreateUserPool draws two keys). The process draws two keys once and hands them out in turn.
#[cfg(fuzzing)]
fn fuzzing_key(entropy: &Entropy) -> Result<Vec<u8>, KeyError> {
    static KEYS: std::sync::OnceLock<Result<[Vec<u8>; 2], KeyError>> = std::sync::OnceLock::new();
    let keys = KEYS.get_or_init(|| Ok([generate_new(entropy)?, generate_new(entropy)?]));
    match keys {
        Ok(keys) => Ok(keys[usize::from(entropy.bytes::<1>()[0] & 1)].clone()),
        Err(e) => Err(e.clone()),
    }
}

fn generate_new(entropy: &Entropy) -> Result<Vec<u8>, KeyError> {
    let mut rng = ChaCha20Rng::from_seed(entropy.bytes::<32>());
    let key =
        rsa::RsaPrivateKey::new(&mut rng, BITS).map_err(|e| KeyError::Generate(e.to_string()))?;
    let der = key
        .to_pkcs8_der()
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    Ok(der.as_bytes().to_vec())
}

/// An RSA key pair ready for jsonwebtoken, and its public parts.
pub struct RsaKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The DER `RSAPublicKey` (RFC 8017) that the services' `kid`s are digests of.
    pub public_der: Vec<u8>,
    /// The modulus and the exponent, big-endian without leading zeros (the JWK's `n` and `e`).
    pub n: Vec<u8>,
    pub e: Vec<u8>,
}

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaKey").finish_non_exhaustive()
    }
}

impl RsaKey {
    /// Load a stored key (PKCS#8 DER, as [`generate`] makes and as earlier versions stored).
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        let rejected = |e: &dyn std::fmt::Display| KeyError::Rejected(e.to_string());
        let key = rsa::RsaPrivateKey::from_pkcs8_der(der).map_err(|e| rejected(&e))?;
        let private = key.to_pkcs1_der().map_err(|e| rejected(&e))?;
        let public = key
            .to_public_key()
            .to_pkcs1_der()
            .map_err(|e| rejected(&e))?;
        let (n, e) = (key.n().to_bytes_be(), key.e().to_bytes_be());
        Ok(Self {
            encoding: EncodingKey::from_rsa_der(private.as_bytes()),
            decoding: DecodingKey::from_rsa_raw_components(&n, &e),
            public_der: public.as_bytes().to_vec(),
            n,
            e,
        })
    }

    /// A compact JWS over `claims`; the header's `alg` must be RS256.
    pub fn sign(&self, header: &Header, claims: &Value) -> Result<String, KeyError> {
        if header.alg != Algorithm::RS256 {
            return Err(KeyError::Sign(format!("{:?} is not RS256", header.alg)));
        }
        jsonwebtoken::encode(header, claims, &self.encoding)
            .map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// Check a token made with this key; see [`verify`].
    pub fn verify(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<Map<String, Value>, JwsError> {
        verify(token, &self.decoding, validation)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn key(seed: u64) -> RsaKey {
        let der = generate(&Entropy::seeded(seed)).unwrap_or_else(|e| unreachable!("{e}"));
        RsaKey::from_pkcs8(&der).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn header() -> Header {
        Header {
            kid: Some("k".into()),
            ..Header::new(Algorithm::RS256)
        }
    }

    #[test]
    fn a_seed_makes_the_same_key_and_another_seed_another() {
        let (a, b, c) = (key(1), key(1), key(2));
        assert_eq!(a.public_der, b.public_der);
        assert_ne!(a.public_der, c.public_der);
        assert_eq!(a.n.len(), 256);
        assert_eq!(a.e, [1, 0, 1]);
    }

    /// Verify a token signed by `signer` with `validation`: `Ok` or the failed check.
    fn check(
        token: &str,
        verifier: &RsaKey,
        validation: &Validation,
        expect: Result<(), JwsError>,
    ) {
        let got = verifier.verify(token, validation).map(|_| ());
        assert_eq!(got, expect, "{token}");
    }

    #[test]
    fn each_failed_check_is_named() {
        let (k, other) = (key(3), key(4));
        let claims = json!({"iss": "i", "sub": "s", "exp": 1});
        let token = k.sign(&header(), &claims).unwrap_or_default();
        let v = rs256();
        check(&token, &k, &v, Ok(()));
        check(&token, &other, &v, Err(JwsError::Signature));
        let mut iss = rs256();
        iss.set_issuer(&["j"]);
        check(&token, &k, &iss, Err(JwsError::Issuer));
        let mut aud = rs256();
        aud.set_required_spec_claims(&["aud"]);
        check(&token, &k, &aud, Err(JwsError::MissingClaim("aud".into())));
        let mut hs = rs256();
        hs.algorithms = vec![Algorithm::HS256];
        check(&token, &k, &hs, Ok(()));
        let hmac = jsonwebtoken::EncodingKey::from_secret(&k.n);
        let forged = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &hmac)
            .unwrap_or_default();
        check(&forged, &k, &v, Err(JwsError::Algorithm("HS256".into())));
        let (_, rest) = token.split_once('.').unwrap_or_default();
        let none = format!("eyJhbGciOiJub25lIn0.{rest}");
        assert!(matches!(k.verify(&none, &v), Err(JwsError::Malformed(_))));
        assert!(matches!(k.verify("a.b", &v), Err(JwsError::Malformed(_))));
        let array = k.sign(&header(), &json!([1])).unwrap_or_default();
        assert!(matches!(k.verify(&array, &v), Err(JwsError::Malformed(_))));
    }

    #[test]
    fn the_header_is_the_callers() {
        let k = key(5);
        let token = k.sign(&header(), &json!({"a": 1})).unwrap_or_default();
        let h = jsonwebtoken::decode_header(&token).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(
            (h.alg, h.kid.as_deref(), h.typ.as_deref()),
            (Algorithm::RS256, Some("k"), Some("JWT"))
        );
        let hs = Header::new(Algorithm::HS256);
        assert!(matches!(k.sign(&hs, &json!({})), Err(KeyError::Sign(_))));
    }
}
