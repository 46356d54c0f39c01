//! The OIDC relying-party side of federation: the code exchange (`client_secret_post`), the
//! userinfo call (GET or POST as configured), the IdP's JWKS (cached per `jwks_uri`, fetched
//! again when a token names an unknown `kid`, so key rotation works) and ID token validation
//! (pure: signature, `iss`, `aud`, `exp`, `nonce` against `now`).

use std::collections::HashMap;
use std::sync::Mutex;

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use serde_json::{Map, Value};

use crate::cognito::Cognito;
use crate::journal::{EventKind, Service};
use crate::jws;

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
    let dk = DecodingKey::from_jwk(key).map_err(|e| bad(&format!("unusable key ({e})")))?;
    // Only the signature (RS256) here: each claim below is checked with its own message, and
    // `exp` against `now`, not the system clock.
    let mut signature_only = jws::rs256();
    signature_only.validate_aud = false;
    let c = jws::verify(token, &dk, &signature_only).map_err(|e| bad(&e.to_string()))?;
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
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::json;

    use super::*;
    use crate::clock::Entropy;
    use crate::jws::RsaKey;

    const NOW: i64 = 1_800_000_000;

    fn key(seed: u64) -> RsaKey {
        let der = jws::generate(&Entropy::seeded(seed)).unwrap_or_else(|e| unreachable!("{e}"));
        RsaKey::from_pkcs8(&der).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn jwk(key: &RsaKey) -> Jwk {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let v = json!({"kty": "RSA", "kid": "k1", "alg": "RS256",
            "n": b64.encode(&key.n), "e": b64.encode(&key.e)});
        serde_json::from_value(v).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn header() -> Header {
        Header {
            kid: Some("k1".into()),
            ..Header::new(Algorithm::RS256)
        }
    }

    fn good_claims() -> Value {
        json!({"iss": "https://idp", "aud": "c1", "sub": "s", "exp": NOW + 60, "nonce": "n"})
    }

    /// Validate `token` against `key`'s JWK: `Ok` or a text the error must contain.
    fn check(token: &str, key: &RsaKey, expect: Result<(), &str>) {
        let got = validate_id_token(token, &jwk(key), "https://idp", "c1", "n", NOW).map(|_| ());
        match (got, expect) {
            (Ok(()), Ok(())) => {}
            (Err(FedError(m)), Err(want)) => assert!(m.contains(want), "{m} should contain {want}"),
            (got, want) => unreachable!("got {got:?}, want {want:?}"),
        }
    }

    /// A token of the good claims with `claim` set to `value` (removed if `None`), signed by
    /// `key`.
    fn with_claim(key: &RsaKey, claim: &str, value: Option<Value>) -> String {
        let mut claims = good_claims();
        if let Some(m) = claims.as_object_mut() {
            match value {
                Some(v) => m.insert(claim.into(), v),
                None => m.remove(claim),
            };
        }
        key.sign(&header(), &claims)
            .unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn id_token_checks() {
        let k = key(1);
        check(&with_claim(&k, "sub", Some(json!("s"))), &k, Ok(()));
        check(&with_claim(&k, "aud", Some(json!(["x", "c1"]))), &k, Ok(()));
        let cases = [
            (
                "iss",
                Some(json!("https://other")),
                "Bad id_token issuer https://other",
            ),
            ("aud", Some(json!("x")), "audience"),
            ("aud", None, "audience"),
            ("exp", Some(json!(NOW)), "expired"),
            ("exp", None, "expired"),
            ("nonce", Some(json!("other")), "nonce"),
            ("nonce", None, "nonce"),
        ];
        for (claim, value, want) in cases {
            check(&with_claim(&k, claim, value), &k, Err(want));
        }
        let other = with_claim(&key(2), "sub", Some(json!("s")));
        check(&other, &k, Err("signature check failed"));
        check("not.a.jwt", &k, Err("malformed"));
        assert_eq!(
            kid_of(&format!("{}.e30.x", base64_url(r#"{"alg":"RS256"}"#))),
            Ok(None)
        );
    }

    #[test]
    fn a_token_signed_with_another_algorithm_is_refused() {
        let k = key(1);
        // The classic confusion: HS256 keyed with the public RSA key.
        let hs = Header::new(Algorithm::HS256);
        let forged = jsonwebtoken::encode(&hs, &good_claims(), &EncodingKey::from_secret(&k.n))
            .unwrap_or_else(|e| unreachable!("{e}"));
        check(&forged, &k, Err("algorithm HS256 is not RS256"));
    }

    fn base64_url(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }
}
