//! The OIDC relying-party side of federation: the code exchange (`client_secret_post`), the
//! userinfo call (GET or POST as configured), the IdP's JWKS (cached per `jwks_uri`, fetched
//! again when a token names an unknown `kid`, so key rotation works) and ID token validation
//! (pure: signature, `iss`, `aud`, `exp`, `nonce` against `now`).

use std::collections::HashMap;
use std::sync::Mutex;

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::cognito::Cognito;
use crate::journal::{EventKind, Service};

/// A cached JWKS is trusted this long before it is fetched again.
const JWKS_TTL_MILLIS: i64 = 3_600_000;

/// Why federation failed; `0` is the `error_description` the app receives. Cognito's exact
/// wording for each case is not documented (uncertain): the IdP HTTP failures follow the
/// observed `<Provider> Error - <status>` shape, token checks name the failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FedError(pub String);

/// Validate an IdP ID token's claims; the signature is checked with `key`.
pub fn validate_id_token(
    token: &str,
    key: &Jwk,
    issuer: &str,
    client_id: &str,
    nonce: &str,
    now: i64,
) -> Result<Map<String, Value>, FedError> {
    let bad = |m: &str| FedError(format!("Invalid id_token: {m}"));
    let header =
        jsonwebtoken::decode_header(token).map_err(|e| bad(&format!("malformed ({e})")))?;
    if header.alg != Algorithm::RS256 {
        return Err(bad(&format!("algorithm {:?} is not RS256", header.alg)));
    }
    let dk = DecodingKey::from_jwk(key).map_err(|e| bad(&format!("unusable key ({e})")))?;
    let mut v = Validation::new(Algorithm::RS256);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &dk, &v)
        .map_err(|e| bad(&format!("signature check failed ({e})")))?;
    let c = data.claims;
    let iss = c.get("iss").and_then(Value::as_str).unwrap_or("");
    if iss != issuer {
        return Err(FedError(format!("Bad id_token issuer {iss}")));
    }
    let aud_ok = match c.get("aud") {
        Some(Value::String(a)) => a == client_id,
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(client_id)),
        _ => false,
    };
    if !aud_ok {
        return Err(FedError(format!(
            "Invalid id_token audience: expected {client_id}"
        )));
    }
    match c.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp > now => {}
        _ => return Err(FedError("Invalid id_token: token expired".into())),
    }
    if c.get("nonce").and_then(Value::as_str) != Some(nonce) {
        return Err(FedError("Invalid id_token: nonce mismatch".into()));
    }
    Ok(c)
}

/// The `kid` an ID token names (None if absent); a malformed token is refused.
pub fn kid_of(token: &str) -> Result<Option<String>, FedError> {
    jsonwebtoken::decode_header(token)
        .map(|h| h.kid)
        .map_err(|e| FedError(format!("Invalid id_token: malformed ({e})")))
}

/// IdP key sets by `jwks_uri`. A `std::sync::Mutex`: never held across an `.await`.
#[derive(Debug, Default)]
pub struct JwksCache {
    sets: Mutex<HashMap<String, (i64, JwkSet)>>,
}

fn pick(set: &JwkSet, kid: Option<&str>) -> Option<Jwk> {
    match kid {
        Some(k) => set.find(k).cloned(),
        None if set.keys.len() == 1 => set.keys.first().cloned(),
        None => None,
    }
}

impl JwksCache {
    fn cached(&self, uri: &str, now: i64) -> Option<JwkSet> {
        let map = self.sets.lock().unwrap_or_else(|p| p.into_inner());
        map.get(uri)
            .filter(|(at, _)| now - at < JWKS_TTL_MILLIS)
            .map(|(_, s)| s.clone())
    }

    /// The key for `kid`: from the cache, or from a fresh fetch when the cache lacks it.
    pub async fn key(
        &self,
        cx: &Cognito,
        provider: &str,
        uri: &str,
        kid: Option<&str>,
        flow: &str,
    ) -> Result<Jwk, FedError> {
        let now = cx.clock.now_millis();
        if let Some(k) = self.cached(uri, now).and_then(|s| pick(&s, kid)) {
            return Ok(k);
        }
        let resp = cx
            .services
            .http
            .get(uri)
            .send()
            .await
            .map_err(|e| FedError(format!("{provider} Error - jwks_uri unreachable: {e}")))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(FedError(format!(
                "{provider} Error - {} from jwks_uri",
                status.as_u16()
            )));
        }
        let set: JwkSet = resp
            .json()
            .await
            .map_err(|e| FedError(format!("{provider} Error - jwks_uri returned no JWKS: {e}")))?;
        let kids: Vec<Option<String>> = set.keys.iter().map(|k| k.common.key_id.clone()).collect();
        cx.journal.record(
            Service::Cognito,
            EventKind::FlowStep,
            "federation.jwks_fetched",
            Some(flow),
            serde_json::json!({"jwks_uri": uri, "kids": kids}),
        );
        let key = pick(&set, kid);
        self.sets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(uri.to_owned(), (now, set));
        key.ok_or_else(|| {
            FedError(format!(
                "Invalid id_token: unknown kid {}",
                kid.unwrap_or("(none)")
            ))
        })
    }
}

fn http_error(provider: &str, what: &str, status: reqwest::StatusCode, body: &str) -> FedError {
    let detail: String = body.chars().take(200).collect();
    FedError(format!(
        "{provider} Error - {} {what}: {detail}",
        status.as_u16()
    ))
}

/// Exchange the IdP's code at its token endpoint (`client_secret_post`).
pub async fn exchange(
    cx: &Cognito,
    provider: &str,
    d: &Map<String, Value>,
    code: &str,
    redirect_uri: &str,
) -> Result<Map<String, Value>, FedError> {
    let s = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.to_owned()),
        ("redirect_uri", redirect_uri.to_owned()),
        ("client_id", s("client_id")),
    ];
    if d.contains_key("client_secret") {
        form.push(("client_secret", s("client_secret")));
    }
    let url = s("token_url");
    let resp = cx
        .services
        .http
        .post(&url)
        .form(&form)
        .send()
        .await
        .map_err(|e| {
            FedError(format!(
                "{provider} Error - token endpoint unreachable: {e}"
            ))
        })?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(http_error(
            provider,
            "from the token endpoint",
            status,
            &body,
        ));
    }
    match serde_json::from_str::<Value>(&body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(FedError(format!(
            "{provider} Error - token endpoint returned no JSON object"
        ))),
    }
}

/// Call the IdP's userinfo endpoint (`attributes_url`) with its access token.
pub async fn userinfo(
    cx: &Cognito,
    provider: &str,
    d: &Map<String, Value>,
    access_token: &str,
) -> Result<Map<String, Value>, FedError> {
    let url = d
        .get("attributes_url")
        .and_then(Value::as_str)
        .unwrap_or("");
    let post = d.get("attributes_request_method").and_then(Value::as_str) == Some("POST");
    let req = if post {
        cx.services
            .http
            .post(url)
            .form(&[("access_token", access_token)])
    } else {
        cx.services.http.get(url)
    };
    let resp = req.bearer_auth(access_token).send().await.map_err(|e| {
        FedError(format!(
            "{provider} Error - userinfo endpoint unreachable: {e}"
        ))
    })?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(http_error(
            provider,
            "from the userinfo endpoint",
            status,
            &body,
        ));
    }
    match serde_json::from_str::<Value>(&body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(FedError(format!(
            "{provider} Error - userinfo endpoint returned no JSON object"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::{self, KeyPair as _};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn sign(pair: &KeyPair, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(claims.to_string())
        );
        let mut sig = vec![0u8; pair.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let signed = pair.sign(
            &signature::RSA_PKCS1_SHA256,
            &rng,
            input.as_bytes(),
            &mut sig,
        );
        assert!(signed.is_ok());
        format!("{input}.{}", B64URL.encode(sig))
    }

    fn jwk(pair: &KeyPair) -> Jwk {
        let p = pair.public_key();
        let v = json!({"kty": "RSA", "kid": "k1", "alg": "RS256",
            "n": B64URL.encode(p.modulus().big_endian_without_leading_zero()),
            "e": B64URL.encode(p.exponent().big_endian_without_leading_zero())});
        serde_json::from_value(v).unwrap_or_else(|e| unreachable!("{e}"))
    }

    /// Validate a token made from the good claims with `edit` applied; `Ok` or the error text.
    fn check(edit: impl Fn(&mut Map<String, Value>), header: Value, expect: Result<(), &str>) {
        let Ok(pair) = KeyPair::generate(KeySize::Rsa2048) else {
            unreachable!()
        };
        let mut claims =
            json!({"iss": "https://idp", "aud": "c1", "sub": "s", "exp": NOW + 60, "nonce": "n"});
        if let Some(m) = claims.as_object_mut() {
            edit(m);
        }
        let token = sign(&pair, &header, &claims);
        let got = validate_id_token(&token, &jwk(&pair), "https://idp", "c1", "n", NOW).map(|_| ());
        match (got, expect) {
            (Ok(()), Ok(())) => {}
            (Err(FedError(m)), Err(want)) => assert!(m.contains(want), "{m} should contain {want}"),
            (got, want) => unreachable!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn id_token_checks() {
        let rs256 = json!({"alg": "RS256", "kid": "k1"});
        check(|_| {}, rs256.clone(), Ok(()));
        check(
            |c| {
                c.insert("aud".into(), json!(["x", "c1"]));
            },
            rs256.clone(),
            Ok(()),
        );
        check(
            |c| {
                c.insert("iss".into(), json!("https://other"));
            },
            rs256.clone(),
            Err("Bad id_token issuer https://other"),
        );
        check(
            |c| {
                c.insert("aud".into(), json!("x"));
            },
            rs256.clone(),
            Err("audience"),
        );
        check(
            |c| {
                c.remove("aud");
            },
            rs256.clone(),
            Err("audience"),
        );
        check(
            |c| {
                c.insert("exp".into(), json!(NOW));
            },
            rs256.clone(),
            Err("expired"),
        );
        check(
            |c| {
                c.remove("exp");
            },
            rs256.clone(),
            Err("expired"),
        );
        check(
            |c| {
                c.insert("nonce".into(), json!("other"));
            },
            rs256.clone(),
            Err("nonce"),
        );
        check(
            |c| {
                c.remove("nonce");
            },
            rs256,
            Err("nonce"),
        );
        check(
            |_| {},
            json!({"alg": "HS256", "kid": "k1"}),
            Err("algorithm"),
        );
        assert!(validate_id_token("not.a.jwt", &jwk_of_fresh_key(), "i", "c", "n", NOW).is_err());
        assert_eq!(
            kid_of(&format!("{}.e30.x", B64URL.encode(r#"{"alg":"RS256"}"#))),
            Ok(None)
        );
    }

    fn jwk_of_fresh_key() -> Jwk {
        let Ok(pair) = KeyPair::generate(KeySize::Rsa2048) else {
            unreachable!()
        };
        jwk(&pair)
    }
}
