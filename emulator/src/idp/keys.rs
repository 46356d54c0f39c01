//! The IdP's RS256 signing key: drawn from the injected random source on first use, persisted
//! in the store, published as a JWKS. Under a key-rotation fault, a second key (drawn once,
//! kept in memory) signs instead.

use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64URL};
use jsonwebtoken::{Algorithm, Header};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::clock::Entropy;
use crate::jws::{self, RsaKey};
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
    pair: RsaKey,
    pub jwk: Value,
}

impl Key {
    fn from_pkcs8(der: &[u8]) -> Result<Self, OAuthError> {
        let pair = RsaKey::from_pkcs8(der).map_err(|e| OAuthError::server_error(e.to_string()))?;
        let kid = super::sha256_b64(&pair.public_der)[..16].to_owned();
        let (n, e) = (B64URL.encode(&pair.n), B64URL.encode(&pair.e));
        let jwk = json!({"alg": "RS256", "e": e, "kid": kid, "kty": "RSA", "n": n, "use": "sig"});
        Ok(Self { kid, pair, jwk })
    }

    /// A compact JWS (RS256, `typ` JWT, `kid`) over `claims`.
    pub fn sign(&self, claims: &Value) -> Result<String, OAuthError> {
        let header = Header {
            kid: Some(self.kid.clone()),
            ..Header::new(Algorithm::RS256)
        };
        self.pair
            .sign(&header, claims)
            .map_err(|e| OAuthError::server_error(e.to_string()))
    }
}

/// The key, loaded or generated on first use. A `std::sync::Mutex`: never held across `.await`.
#[derive(Debug, Default)]
pub struct IdpKeys {
    cache: Mutex<Option<Arc<Key>>>,
    /// The key a rotation fault signs with, drawn on first use.
    rotated: Mutex<Option<Arc<Key>>>,
}

/// The stored key, or a new one drawn from `entropy` and stored.
fn load_or_generate(store: &Store, entropy: &Entropy) -> Result<Key, OAuthError> {
    if let Some(stored) = store.get::<StoredKey>("idp", "id")? {
        let der = STANDARD
            .decode(&stored.pkcs8)
            .map_err(|_| OAuthError::server_error("stored IdP key is not base64"))?;
        return Key::from_pkcs8(&der);
    }
    let der = jws::generate(entropy).map_err(|e| OAuthError::server_error(e.to_string()))?;
    let key = Key::from_pkcs8(&der)?;
    let stored = StoredKey {
        pkcs8: STANDARD.encode(&der),
    };
    store.put("idp", "id", &stored)?;
    Ok(key)
}

impl IdpKeys {
    pub fn get(&self, store: &Store, entropy: &Entropy) -> Result<Arc<Key>, OAuthError> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = cache.as_ref() {
            return Ok(k.clone());
        }
        let key = Arc::new(load_or_generate(store, entropy)?);
        *cache = Some(key.clone());
        Ok(key)
    }

    /// The new key of a rotation fault (not stored: clearing the fault restores the old one).
    pub fn rotated(&self, entropy: &Entropy) -> Result<Arc<Key>, OAuthError> {
        let mut rotated = self.rotated.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = rotated.as_ref() {
            return Ok(k.clone());
        }
        let der = jws::generate(entropy).map_err(|e| OAuthError::server_error(e.to_string()))?;
        let key = Arc::new(Key::from_pkcs8(&der)?);
        *rotated = Some(key.clone());
        Ok(key)
    }

    pub fn clear(&self) {
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *self.rotated.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The published keys: the key, preceded by a rotated one when it is published.
    pub fn jwks(
        &self,
        store: &Store,
        entropy: &Entropy,
        rotated_published: bool,
    ) -> Result<Value, OAuthError> {
        let key = self.get(store, entropy)?;
        if rotated_published {
            return Ok(json!({"keys": [self.rotated(entropy)?.jwk, key.jwk]}));
        }
        Ok(json!({"keys": [key.jwk]}))
    }
}
