//! COSE credential public keys (RFC 9053): parsed once into an aws-lc `ParsedPublicKey`, so an
//! assertion costs one signature verification and no key parsing.

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents, VerificationAlgorithm};
use ciborium::Value;
use serde::{Deserialize, Serialize};

use crate::encoding::{b64, unb64};
use crate::{Error, cbor};

/// A COSE signature algorithm this verifier supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Alg {
    /// ECDSA P-256 with SHA-256 (-7).
    Es256,
    /// ECDSA P-384 with SHA-384 (-35).
    Es384,
    /// ECDSA P-521 with SHA-512 (-36).
    Es512,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (-257).
    Rs256,
    /// EdDSA over Ed25519 (-8).
    EdDsa,
}

impl Alg {
    /// Every supported algorithm, in the order offered in `pubKeyCredParams`.
    pub const ALL: [Alg; 5] = [Alg::Es256, Alg::EdDsa, Alg::Es384, Alg::Es512, Alg::Rs256];

    /// The COSE algorithm identifier.
    pub fn cose_id(self) -> i64 {
        match self {
            Alg::Es256 => -7,
            Alg::Es384 => -35,
            Alg::Es512 => -36,
            Alg::Rs256 => -257,
            Alg::EdDsa => -8,
        }
    }

    /// The algorithm for a COSE identifier.
    pub fn from_cose(id: i64) -> Result<Alg, Error> {
        Alg::ALL
            .into_iter()
            .find(|a| a.cose_id() == id)
            .ok_or(Error::UnsupportedAlgorithm { alg: id })
    }

    pub fn name(self) -> &'static str {
        match self {
            Alg::Es256 => "ES256",
            Alg::Es384 => "ES384",
            Alg::Es512 => "ES512",
            Alg::Rs256 => "RS256",
            Alg::EdDsa => "EdDSA",
        }
    }

    /// The aws-lc verification algorithm (ECDSA signatures are ASN.1 DER, as WebAuthn sends them).
    pub(crate) fn verification(self) -> &'static dyn VerificationAlgorithm {
        match self {
            Alg::Es256 => &signature::ECDSA_P256_SHA256_ASN1,
            Alg::Es384 => &signature::ECDSA_P384_SHA384_ASN1,
            Alg::Es512 => &signature::ECDSA_P521_SHA512_ASN1,
            Alg::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Alg::EdDsa => &signature::ED25519,
        }
    }
}

/// A credential public key: the COSE bytes as registered plus the parsed key.
/// Serialises as `{"alg": -7, "cose": "<base64url>"}`; deserialising parses it again.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "KeyWire", into = "KeyWire")]
pub struct CredentialPublicKey {
    alg: Alg,
    cose: Vec<u8>,
    parsed: ParsedPublicKey,
}

#[derive(Serialize, Deserialize)]
struct KeyWire {
    alg: i64,
    cose: String,
}

impl std::fmt::Debug for CredentialPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialPublicKey")
            .field("alg", &self.alg)
            .field("cose", &b64(&self.cose))
            .finish()
    }
}

impl PartialEq for CredentialPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.alg == other.alg && self.cose == other.cose
    }
}

impl From<CredentialPublicKey> for KeyWire {
    fn from(key: CredentialPublicKey) -> Self {
        KeyWire {
            alg: key.alg.cose_id(),
            cose: b64(&key.cose),
        }
    }
}

impl TryFrom<KeyWire> for CredentialPublicKey {
    type Error = Error;
    fn try_from(wire: KeyWire) -> Result<Self, Error> {
        let key = CredentialPublicKey::from_cose(&unb64("publicKey.cose", &wire.cose)?)?;
        if key.alg.cose_id() != wire.alg {
            return Err(Error::CoseKeyMalformed {
                detail: format!(
                    "stored alg {} differs from the key's {}",
                    wire.alg,
                    key.alg.name()
                ),
            });
        }
        Ok(key)
    }
}

fn bad(detail: impl Into<String>) -> Error {
    Error::CoseKeyMalformed {
        detail: detail.into(),
    }
}

fn bytes<'a>(map: &'a [(Value, Value)], label: i64, what: &str) -> Result<&'a [u8], Error> {
    match cbor::int_key(map, label) {
        Some(Value::Bytes(b)) => Ok(b),
        Some(_) => Err(bad(format!("{what} ({label}) is not a byte string"))),
        None => Err(bad(format!("{what} ({label}) is missing"))),
    }
}

fn int(map: &[(Value, Value)], label: i64, what: &str) -> Result<i64, Error> {
    cbor::int_key(map, label)
        .and_then(cbor::as_i64)
        .ok_or_else(|| bad(format!("{what} ({label}) is missing or not an integer")))
}

impl CredentialPublicKey {
    /// Parses a COSE_Key (exactly one CBOR map, nothing after it).
    pub fn from_cose(cose: &[u8]) -> Result<Self, Error> {
        let mut rest = cose;
        let value = cbor::read_item(&mut rest).map_err(bad)?;
        if !rest.is_empty() {
            return Err(Error::TrailingBytes {
                structure: "credentialPublicKey",
                count: rest.len(),
            });
        }
        let Value::Map(map) = value else {
            return Err(bad("expected a CBOR map"));
        };
        let alg = Alg::from_cose(int(&map, 3, "alg")?)?;
        let kty = int(&map, 1, "kty")?;
        let parsed = match alg {
            Alg::Es256 | Alg::Es384 | Alg::Es512 => {
                let (crv, len) = match alg {
                    Alg::Es256 => (1, 32),
                    Alg::Es384 => (2, 48),
                    _ => (3, 66),
                };
                expect(kty, 2, "kty (EC2)")?;
                expect(int(&map, -1, "crv")?, crv, "crv")?;
                let (x, y) = (bytes(&map, -2, "x")?, bytes(&map, -3, "y")?);
                if x.len() != len || y.len() != len {
                    return Err(bad(format!(
                        "x/y: expected {len} bytes, got {}/{}",
                        x.len(),
                        y.len()
                    )));
                }
                let point = [&[0x04][..], x, y].concat();
                ParsedPublicKey::new(alg.verification(), point)
            }
            Alg::EdDsa => {
                expect(kty, 1, "kty (OKP)")?;
                expect(int(&map, -1, "crv")?, 6, "crv (Ed25519)")?;
                ParsedPublicKey::new(alg.verification(), bytes(&map, -2, "x")?)
            }
            Alg::Rs256 => {
                expect(kty, 3, "kty (RSA)")?;
                let n = bytes(&map, -1, "n")?;
                let e = bytes(&map, -2, "e")?;
                RsaPublicKeyComponents { n, e }
                    .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
            }
        }
        .map_err(|e| bad(format!("key rejected: {e}")))?;
        Ok(CredentialPublicKey {
            alg,
            cose: cose.to_vec(),
            parsed,
        })
    }

    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The COSE_Key bytes as the authenticator sent them.
    pub fn cose(&self) -> &[u8] {
        &self.cose
    }

    /// For EC2 P-256 keys, the uncompressed point `04 || x || y` (fido-u2f needs it).
    pub(crate) fn p256_point(&self) -> Option<&[u8]> {
        (self.alg == Alg::Es256).then(|| self.parsed.as_ref())
    }

    /// Verifies `signature` over `message`.
    #[inline]
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.parsed.verify_sig(message, signature).is_ok()
    }
}

fn expect(actual: i64, expected: i64, what: &str) -> Result<(), Error> {
    if actual == expected {
        Ok(())
    } else {
        Err(bad(format!("{what}: expected {expected}, got {actual}")))
    }
}
