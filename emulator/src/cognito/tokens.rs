//! Token issuance and validation: RS256 ID and access tokens with Cognito's claims, opaque
//! refresh tokens stored by hash, and revocation by session (`origin_jti`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::{Map, Value, json};

use super::Cognito;
use super::error::{CognitoError, Result};
use super::model::{Client, Pool};
use crate::jws;
use crate::store::{RefreshRow, UserRow};

/// What a sign-in produced, to be turned into tokens.
#[derive(Debug)]
pub struct Grant<'a> {
    pub pool: &'a Pool,
    pub client: &'a Client,
    pub user: &'a UserRow,
    /// When the user authenticated, epoch seconds.
    pub auth_time: i64,
    pub scope: String,
    pub nonce: Option<String>,
    /// Set when refreshing: the session keeps its `origin_jti`.
    pub origin_jti: Option<String>,
    pub with_refresh: bool,
    /// What a pre token generation trigger changed.
    pub overrides: ClaimOverrides,
    /// The tracked device the user signed in from: the access token's `device_key`.
    pub device_key: Option<String>,
}

/// Claims a pre token generation trigger adds, overrides or suppresses in the ID token, and
/// the groups it puts in both tokens.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaimOverrides {
    pub add: Map<String, Value>,
    pub suppress: Vec<String>,
    pub groups: Option<Vec<String>>,
}

/// Claims a trigger may not change (Cognito ignores such overrides).
const PROTECTED: &[&str] = &[
    "acr",
    "amr",
    "aud",
    "auth_time",
    "azp",
    "exp",
    "iat",
    "identities",
    "iss",
    "sub",
    "token_use",
    "nonce",
    "at_hash",
    "cognito:username",
    "origin_jti",
    "jti",
    "event_id",
];

impl ClaimOverrides {
    fn apply(&self, claims: &mut Map<String, Value>) {
        for name in &self.suppress {
            if !PROTECTED.contains(&name.as_str()) {
                claims.remove(name);
            }
        }
        for (k, v) in &self.add {
            if !PROTECTED.contains(&k.as_str()) {
                claims.insert(k.clone(), v.clone());
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Tokens {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: i64,
}

/// Attribute values as ID-token claims: booleans for `*_verified`, `identities` as JSON.
fn attribute_claims(user: &UserRow) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in &user.attributes {
        let claim = match name.as_str() {
            "sub" => continue,
            "email_verified" | "phone_number_verified" => json!(value == "true"),
            "identities" => serde_json::from_str(value).unwrap_or(Value::Null),
            "updated_at" => value
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or(json!(value)),
            _ => json!(value),
        };
        out.insert(name.clone(), claim);
    }
    out
}

pub fn hash_refresh(token: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    B64URL.encode(d.as_ref())
}

/// Refresh-token rotation: a new refresh token for the session of `row` (same origin, same
/// expiry) replaces `old`, which stops working. Rotating a used token is refused. (Cognito's
/// `RetryGracePeriodSeconds`, during which the old token still works, is not emulated.)
pub fn rotate_refresh(cx: &Cognito, row: &RefreshRow, old: &str) -> Result<String> {
    let token = B64URL.encode(cx.entropy.bytes::<48>());
    if !cx
        .store
        .rotate_refresh(&hash_refresh(old), &hash_refresh(&token), row)?
    {
        return Err(CognitoError::not_authorized("Invalid Refresh Token"));
    }
    Ok(token)
}

pub fn issue(cx: &Cognito, g: &Grant<'_>) -> Result<Tokens> {
    let keys = cx.keys.get(cx, &g.pool.id)?;
    let now = cx.clock.now_secs();
    let origin_jti = g.origin_jti.clone().unwrap_or_else(|| cx.entropy.uuid());
    let groups = match &g.overrides.groups {
        Some(gs) => gs.clone(),
        None => cx.store.groups_of(g.user.id)?,
    };
    let id_ttl = g.client.validity_secs("IdToken", 3600);
    let access_ttl = g.client.validity_secs("AccessToken", 3600);
    let event_id = cx.entropy.uuid();

    let mut id = attribute_claims(g.user);
    id.insert("sub".into(), json!(g.user.sub));
    if !groups.is_empty() {
        id.insert("cognito:groups".into(), json!(groups));
    }
    id.insert("iss".into(), json!(cx.issuer(&g.pool.id)));
    id.insert("cognito:username".into(), json!(g.user.username));
    if let Some(n) = &g.nonce {
        id.insert("nonce".into(), json!(n));
    }
    id.insert("origin_jti".into(), json!(origin_jti));
    id.insert("aud".into(), json!(g.client.client_id));
    id.insert("event_id".into(), json!(event_id));
    id.insert("token_use".into(), json!("id"));
    id.insert("auth_time".into(), json!(g.auth_time));
    id.insert("exp".into(), json!(now + id_ttl));
    id.insert("iat".into(), json!(now));
    id.insert("jti".into(), json!(cx.entropy.uuid()));
    g.overrides.apply(&mut id);

    let mut access = json!({
        "sub": g.user.sub, "iss": cx.issuer(&g.pool.id), "client_id": g.client.client_id,
        "origin_jti": origin_jti, "event_id": event_id, "token_use": "access", "scope": g.scope,
        "auth_time": g.auth_time, "exp": now + access_ttl, "iat": now, "jti": cx.entropy.uuid(),
        "username": g.user.username,
    });
    if !groups.is_empty() {
        access["cognito:groups"] = json!(groups);
    }
    if let Some(d) = &g.device_key {
        access["device_key"] = json!(d);
    }

    let refresh_token = if g.with_refresh {
        let token = B64URL.encode(cx.entropy.bytes::<48>());
        let row = RefreshRow {
            pool_id: g.pool.id.clone(),
            client_id: g.client.client_id.clone(),
            user_id: g.user.id,
            origin_jti: origin_jti.clone(),
            auth_time: g.auth_time,
            expires: now + g.client.validity_secs("RefreshToken", 30 * 86400),
            revoked: false,
            scope: g.scope.clone(),
        };
        cx.store.insert_refresh(&hash_refresh(&token), &row)?;
        Some(token)
    } else {
        None
    };
    Ok(Tokens {
        id_token: keys.id.sign(&Value::Object(id))?,
        access_token: keys.access.sign(&access)?,
        refresh_token,
        expires_in: access_ttl,
    })
}

/// AWS's refusal of an access token, naming the failed check for the journal.
fn invalid(check: impl std::fmt::Display) -> CognitoError {
    CognitoError::not_authorized("Invalid Access Token").with_check(check.to_string())
}

/// The pool whose issuer the token names, if it is a pool of this emulator; read before the
/// signature is checked, only to choose the key.
fn issuing_pool(cx: &Cognito, token: &str) -> Result<String> {
    let claims = jws::unverified_claims(token).map_err(invalid)?;
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("claim iss missing"))?;
    let pool_id = iss.rsplit('/').next().unwrap_or_default();
    if iss != cx.issuer(pool_id) {
        return Err(invalid(format!("issuer {iss} is not this emulator's")));
    }
    Ok(pool_id.to_owned())
}

/// Validate an access token of this emulator: signature, issuer, use, expiry, revocation, user.
pub fn check_access_token(cx: &Cognito, token: &str) -> Result<(String, Value, UserRow)> {
    let pool_id = issuing_pool(cx, token)?;
    let keys = cx
        .keys
        .get(cx, &pool_id)
        .map_err(|e| invalid(format!("no keys for the issuer: {}", e.message)))?;
    let claims = keys
        .access
        .verify(token, &cx.issuer(&pool_id))
        .map(Value::Object)
        .map_err(invalid)?;
    if claims["token_use"] != "access" {
        return Err(invalid("token_use is not access"));
    }
    if claims["exp"].as_i64().unwrap_or(0) <= cx.clock.now_secs() {
        return Err(CognitoError::not_authorized("Access Token has expired"));
    }
    if cx
        .store
        .origin_revoked(claims["origin_jti"].as_str().unwrap_or(""))?
    {
        return Err(CognitoError::not_authorized(
            "Access Token has been revoked",
        ));
    }
    let sub = claims["sub"].as_str().unwrap_or("");
    let user = cx
        .store
        .user_by_sub(&pool_id, sub)?
        .ok_or_else(|| CognitoError::not_authorized("User does not exist."))?;
    if !user.enabled {
        return Err(CognitoError::not_authorized("User is disabled."));
    }
    Ok((pool_id, claims, user))
}
