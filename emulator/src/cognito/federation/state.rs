//! Cognito's own `state` toward the IdP: the pending flow's id and pool, MACed with a key
//! generated per pool (HMAC-SHA256). Signing and checking are pure; the key is stored.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64URL};
use serde::{Deserialize, Serialize};

use crate::cognito::Cognito;
use crate::cognito::error::Result;
use crate::store::Entity;

/// A pool's state-signing key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StateKey {
    pub secret: String,
}

impl Entity for StateKey {
    const KIND: &'static str = "state_key";
}

/// The pool's key if it has signed a state before: what checking a state needs. A state
/// naming a pool without a key is forged, and checking it writes nothing.
pub fn existing_key(cx: &Cognito, pool_id: &str) -> Result<Option<Vec<u8>>> {
    Ok(cx
        .store
        .get::<StateKey>(pool_id, "")?
        .and_then(|k| STANDARD.decode(&k.secret).ok()))
}

/// The pool's key, created on first use (signing).
pub fn key(cx: &Cognito, pool_id: &str) -> Result<Vec<u8>> {
    if let Some(b) = existing_key(cx, pool_id)? {
        return Ok(b);
    }
    let bytes = cx.entropy.bytes::<32>().to_vec();
    cx.store.put(
        pool_id,
        "",
        &StateKey {
            secret: STANDARD.encode(&bytes),
        },
    )?;
    Ok(bytes)
}

/// `base64url(pool_id "\n" flow_id) "." base64url(HMAC)`.
pub fn sign(key: &[u8], pool_id: &str, flow_id: &str) -> String {
    let payload = B64URL.encode(format!("{pool_id}\n{flow_id}"));
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), payload.as_bytes());
    format!("{payload}.{}", B64URL.encode(tag.as_ref()))
}

/// The pool named by a state, without trusting it yet (to find the key).
pub fn pool_of(state: &str) -> Option<String> {
    let (payload, _) = state.split_once('.')?;
    let text = String::from_utf8(B64URL.decode(payload).ok()?).ok()?;
    text.split_once('\n').map(|(p, _)| p.to_owned())
}

/// `(pool_id, flow_id)` if the MAC is right.
pub fn verify(key: &[u8], state: &str) -> Option<(String, String)> {
    let (payload, tag) = state.split_once('.')?;
    let tag = B64URL.decode(tag).ok()?;
    hmac::verify(
        &hmac::Key::new(hmac::HMAC_SHA256, key),
        payload.as_bytes(),
        &tag,
    )
    .ok()?;
    let text = String::from_utf8(B64URL.decode(payload).ok()?).ok()?;
    let (p, f) = text.split_once('\n')?;
    Some((p.to_owned(), f.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_state_round_trips_and_tampering_fails() {
        let s = sign(b"k1", "us-east-1_A", "flow-1");
        assert_eq!(pool_of(&s).as_deref(), Some("us-east-1_A"));
        assert_eq!(
            verify(b"k1", &s),
            Some(("us-east-1_A".into(), "flow-1".into()))
        );
        assert_eq!(verify(b"k2", &s), None);
        let forged = format!(
            "{}.{}",
            B64URL.encode("us-east-1_A\nflow-2"),
            s.split_once('.').map(|x| x.1).unwrap_or("")
        );
        assert_eq!(verify(b"k1", &forged), None);
        assert_eq!(verify(b"k1", "garbage"), None);
    }
}
