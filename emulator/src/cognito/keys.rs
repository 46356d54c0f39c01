//! Pool signing keys: RSA-2048 pairs drawn from the injected random source when a pool is
//! created (one for ID tokens, one for access tokens, as Cognito does), persisted in the
//! pool's transaction, cached in memory, published as a JWKS.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64URL};
use jsonwebtoken::{Algorithm, Header, Validation};
use serde_json::{Map, Value, json};

use super::Cognito;
use super::error::{CognitoError, Result};
use super::model::SigningKey;
use crate::jws::{self, JwsError, RsaKey};
use crate::store::Tx;

/// One RSA key: its `kid`, the pair, and its public JWK.
#[derive(Debug)]
pub struct Key {
    pub kid: String,
    pair: RsaKey,
    pub jwk: Value,
}

impl Key {
    fn from_pkcs8(pkcs8: &[u8]) -> Result<Self> {
        let pair = RsaKey::from_pkcs8(pkcs8).map_err(|e| CognitoError::internal(e.to_string()))?;
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &pair.public_der);
        let kid = STANDARD.encode(&digest.as_ref()[..24]);
        let (n, e) = (B64URL.encode(&pair.n), B64URL.encode(&pair.e));
        let jwk = json!({"alg": "RS256", "e": e, "kid": kid, "kty": "RSA", "n": n, "use": "sig"});
        Ok(Self { kid, pair, jwk })
    }

    /// A compact JWS (RS256) over `claims`; the header is Cognito's: `kid` and `alg`, no `typ`.
    pub fn sign(&self, claims: &Value) -> Result<String> {
        let header = Header {
            typ: None,
            kid: Some(self.kid.clone()),
            ..Header::new(Algorithm::RS256)
        };
        self.pair
            .sign(&header, claims)
            .map_err(|e| CognitoError::internal(e.to_string()))
    }

    /// Check a token made by this key: the signature (RS256 only) and the presence of the
    /// claims every Cognito token carries (`iss`, `sub`, `exp`), `iss` equal to `issuer`.
    /// Expiry is the caller's: it reads the injected clock.
    pub fn verify(
        &self,
        token: &str,
        issuer: &str,
    ) -> std::result::Result<Map<String, Value>, JwsError> {
        self.pair.verify(token, &validation(issuer))
    }
}

fn validation(issuer: &str) -> Validation {
    let mut v = jws::rs256();
    v.set_required_spec_claims(&["iss", "sub", "exp"]);
    v.set_issuer(&[issuer]);
    v
}

#[derive(Debug)]
pub struct PoolKeys {
    pub id: Key,
    pub access: Key,
}

/// A new pool's keys, made before its transaction: [`NewKeys::write`] stores them in it,
/// [`KeyRing::add`] caches them once it committed.
#[derive(Debug)]
pub struct NewKeys {
    stored: Vec<SigningKey>,
    keys: PoolKeys,
}

impl NewKeys {
    pub fn write(&self, tx: &Tx<'_>, pool_id: &str) -> crate::store::Result<()> {
        for key in &self.stored {
            tx.put(pool_id, &key.token_use, key)?;
        }
        Ok(())
    }
}

/// Every pool's keys, loaded lazily. A `std::sync::Mutex`: never held across an `.await`.
#[derive(Debug, Default)]
pub struct KeyRing {
    cache: Mutex<HashMap<String, Arc<PoolKeys>>>,
}

/// A key drawn from the injected source, in its stored form and loaded.
fn generate(cx: &Cognito, token_use: &str) -> Result<(SigningKey, Key)> {
    let der = jws::generate(&cx.entropy).map_err(|e| CognitoError::internal(e.to_string()))?;
    let key = Key::from_pkcs8(&der)?;
    let stored = SigningKey {
        kid: key.kid.clone(),
        token_use: token_use.into(),
        pkcs8: STANDARD.encode(&der),
    };
    Ok((stored, key))
}

impl KeyRing {
    /// The two keys of a new pool, drawn from the injected random source.
    pub fn generate(cx: &Cognito) -> Result<NewKeys> {
        let (id_stored, id) = generate(cx, "id")?;
        let (access_stored, access) = generate(cx, "access")?;
        Ok(NewKeys {
            stored: vec![id_stored, access_stored],
            keys: PoolKeys { id, access },
        })
    }

    /// Cache the keys of a pool whose transaction committed.
    pub fn add(&self, pool_id: &str, keys: NewKeys) {
        self.lock().insert(pool_id.to_owned(), Arc::new(keys.keys));
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
