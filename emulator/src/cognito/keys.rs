//! Pool signing keys: RSA-2048 pairs generated once per pool (one for ID tokens, one for
//! access tokens, as Cognito does), persisted, cached in memory, published as a JWKS.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64URL};
use serde_json::{Value, json};

use super::Cognito;
use super::error::{CognitoError, Result};
use super::model::SigningKey;

/// One RSA key: its `kid`, the pair, and its public JWK.
#[derive(Debug)]
pub struct Key {
    pub kid: String,
    pair: KeyPair,
    pub jwk: Value,
}

impl Key {
    fn from_pkcs8(pkcs8: &[u8]) -> Result<Self> {
        let pair = KeyPair::from_pkcs8(pkcs8)
            .map_err(|e| CognitoError::internal(format!("stored signing key rejected: {e}")))?;
        let public = pair.public_key();
        let n = B64URL.encode(public.modulus().big_endian_without_leading_zero());
        let e = B64URL.encode(public.exponent().big_endian_without_leading_zero());
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, public.as_ref());
        let kid = STANDARD.encode(&digest.as_ref()[..24]);
        let jwk = json!({"alg": "RS256", "e": e, "kid": kid, "kty": "RSA", "n": n, "use": "sig"});
        Ok(Self { kid, pair, jwk })
    }

    /// A compact JWS (RS256) over `claims`.
    pub fn sign(&self, claims: &Value) -> Result<String> {
        let header = json!({"kid": self.kid, "alg": "RS256"});
        let input = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(claims.to_string())
        );
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &rng,
                input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| CognitoError::internal("token signing failed"))?;
        Ok(format!("{input}.{}", B64URL.encode(sig)))
    }

    /// Verify a compact JWS made by this key; returns the claims.
    pub fn verify(&self, token: &str) -> Option<Value> {
        let (input, sig) = token.rsplit_once('.')?;
        let sig = B64URL.decode(sig).ok()?;
        let public = signature::UnparsedPublicKey::new(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            self.pair.public_key().as_ref(),
        );
        public.verify(input.as_bytes(), &sig).ok()?;
        let (_, payload) = input.split_once('.')?;
        serde_json::from_slice(&B64URL.decode(payload).ok()?).ok()
    }
}

#[derive(Debug)]
pub struct PoolKeys {
    pub id: Key,
    pub access: Key,
}

/// Every pool's keys, loaded lazily. A `std::sync::Mutex`: never held across an `.await`.
#[derive(Debug, Default)]
pub struct KeyRing {
    cache: Mutex<HashMap<String, Arc<PoolKeys>>>,
}

fn generate() -> Result<Vec<u8>> {
    let pair = KeyPair::generate(KeySize::Rsa2048)
        .map_err(|_| CognitoError::internal("RSA key generation failed"))?;
    let der = pair
        .as_der()
        .map_err(|_| CognitoError::internal("RSA key encoding failed"))?;
    Ok(der.as_ref().to_vec())
}

impl KeyRing {
    /// Generate and persist the two keys of a new pool.
    pub fn create_for_pool(&self, cx: &Cognito, pool_id: &str) -> Result<()> {
        let mut keys = Vec::new();
        for token_use in ["id", "access"] {
            let der = generate()?;
            let key = Key::from_pkcs8(&der)?;
            let stored = SigningKey {
                kid: key.kid.clone(),
                token_use: token_use.into(),
                pkcs8: STANDARD.encode(&der),
            };
            cx.store.put(pool_id, token_use, &stored)?;
            keys.push(key);
        }
        let (Some(access), Some(id)) = (keys.pop(), keys.pop()) else {
            return Err(CognitoError::internal("key generation produced no keys"));
        };
        self.lock()
            .insert(pool_id.to_owned(), Arc::new(PoolKeys { id, access }));
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<PoolKeys>>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, cx: &Cognito, pool_id: &str) -> Result<Arc<PoolKeys>> {
        if let Some(k) = self.lock().get(pool_id) {
            return Ok(k.clone());
        }
        let load = |token_use: &str| -> Result<Key> {
            let stored: SigningKey = cx
                .store
                .get(pool_id, token_use)?
                .ok_or_else(|| CognitoError::pool_not_found(pool_id))?;
            let der = STANDARD
                .decode(&stored.pkcs8)
                .map_err(|_| CognitoError::internal("stored signing key is not base64"))?;
            Key::from_pkcs8(&der)
        };
        let keys = Arc::new(PoolKeys {
            id: load("id")?,
            access: load("access")?,
        });
        self.lock().insert(pool_id.to_owned(), keys.clone());
        Ok(keys)
    }

    pub fn forget(&self, pool_id: &str) {
        self.lock().remove(pool_id);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The pool's JWKS document.
    pub fn jwks(&self, cx: &Cognito, pool_id: &str) -> Result<Value> {
        let k = self.get(cx, pool_id)?;
        Ok(json!({"keys": [k.id.jwk, k.access.jwk]}))
    }
}
