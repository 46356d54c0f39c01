//! The IdP's RS256 signing key: generated once, persisted in the store, published as a JWKS.

use std::sync::{Arc, Mutex};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64URL};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::store::{Entity, Store};

use super::error::OAuthError;

#[derive(Debug, Serialize, Deserialize)]
struct StoredKey {
    pkcs8: String,
}

impl Entity for StoredKey {
    const KIND: &'static str = "idp_signing_key";
}

/// One RSA key pair with its `kid` and public JWK.
#[derive(Debug)]
pub struct Key {
    pub kid: String,
    pair: KeyPair,
    pub jwk: Value,
}

impl Key {
    fn from_pkcs8(der: &[u8]) -> Result<Self, OAuthError> {
        let pair = KeyPair::from_pkcs8(der)
            .map_err(|e| OAuthError::server_error(format!("stored IdP key rejected: {e}")))?;
        let public = pair.public_key();
        let n = B64URL.encode(public.modulus().big_endian_without_leading_zero());
        let e = B64URL.encode(public.exponent().big_endian_without_leading_zero());
        let kid = super::sha256_b64(public.as_ref())[..16].to_owned();
        let jwk = json!({"alg": "RS256", "e": e, "kid": kid, "kty": "RSA", "n": n, "use": "sig"});
        Ok(Self { kid, pair, jwk })
    }

    /// A compact JWS (RS256, `typ` JWT) over `claims`.
    pub fn sign(&self, claims: &Value) -> Result<String, OAuthError> {
        let header = json!({"alg": "RS256", "kid": self.kid, "typ": "JWT"});
        let input = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(claims.to_string())
        );
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        // PKCS#1 v1.5 signing is deterministic; the RNG argument is unused by it.
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &rng,
                input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| OAuthError::server_error("token signing failed"))?;
        Ok(format!("{input}.{}", B64URL.encode(sig)))
    }
}

/// The key, loaded or generated on first use. A `std::sync::Mutex`: never held across `.await`.
#[derive(Debug, Default)]
pub struct IdpKeys {
    cache: Mutex<Option<Arc<Key>>>,
}

impl IdpKeys {
    pub fn get(&self, store: &Store) -> Result<Arc<Key>, OAuthError> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = cache.as_ref() {
            return Ok(k.clone());
        }
        let key = match store.get::<StoredKey>("idp", "id")? {
            Some(stored) => {
                let der = STANDARD
                    .decode(&stored.pkcs8)
                    .map_err(|_| OAuthError::server_error("stored IdP key is not base64"))?;
                Key::from_pkcs8(&der)?
            }
            None => {
                let pair = KeyPair::generate(KeySize::Rsa2048)
                    .map_err(|_| OAuthError::server_error("RSA key generation failed"))?;
                let der = pair
                    .as_der()
                    .map_err(|_| OAuthError::server_error("RSA key encoding failed"))?;
                let stored = StoredKey {
                    pkcs8: STANDARD.encode(der.as_ref()),
                };
                store.put("idp", "id", &stored)?;
                Key::from_pkcs8(der.as_ref())?
            }
        };
        let key = Arc::new(key);
        *cache = Some(key.clone());
        Ok(key)
    }

    pub fn clear(&self) {
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub fn jwks(&self, store: &Store) -> Result<Value, OAuthError> {
        Ok(json!({"keys": [self.get(store)?.jwk]}))
    }
}
