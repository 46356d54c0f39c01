//! Shared helpers of the hosted-UI, federation and trigger tests: a browser that does not
//! follow redirects, URL helpers, PKCE, token checks with an independent JWT library
//! (jsonwebtoken) against the served JWKS, and a small OIDC IdP played by wiremock.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64URL};
use emulator::clock::Entropy;
use emulator::jws::{self, RsaKey};
use jsonwebtoken::{Algorithm, Header};
use serde_json::{Map, Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const CALLBACK: &str = "http://localhost:3000/callback";
pub const IDP_CLIENT: &str = "mosaic-demo-client";
pub const IDP_ISSUER: &str = "https://userid.security";

/// A browser without a cookie jar that shows each redirect instead of following it.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on {}", r.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Query (or fragment) parameters of a URL.
pub fn params(url: &str) -> HashMap<String, String> {
    let tail = url.split_once(['?', '#']).map(|x| x.1).unwrap_or("");
    url::form_urlencoded::parse(tail.as_bytes())
        .into_owned()
        .collect()
}

pub fn set_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
}

/// A PKCE pair: (verifier, S256 challenge).
pub fn pkce(seed: &str) -> (String, String) {
    let verifier = format!("{seed}-verifier-0123456789abcdefghijklmnopqrstuvwxyz");
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    (verifier, B64URL.encode(d.as_ref()))
}

/// Check a Cognito token with jsonwebtoken against the pool's served JWKS; returns claims.
pub async fn verify(base: &str, pool: &str, token: &str, aud: Option<&str>) -> Map<String, Value> {
    let jwks: jsonwebtoken::jwk::JwkSet =
        reqwest::get(format!("{base}/{pool}/.well-known/jwks.json"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let kid = header.kid.expect("kid");
    let jwk = jwks.find(&kid).expect("kid in JWKS");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_issuer(&[format!("{base}/{pool}")]);
    match aud {
        Some(a) => v.set_audience(&[a]),
        None => v.validate_aud = false,
    }
    jsonwebtoken::decode::<Map<String, Value>>(token, &key, &v)
        .unwrap()
        .claims
}

/// Exchange a code at `/oauth2/token` (public client, PKCE verifier).
pub async fn exchange(
    base: &str,
    client_id: &str,
    code: &str,
    verifier: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", code),
        ("redirect_uri", CALLBACK),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    browser()
        .post(format!("{base}/oauth2/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// An RSA signing key of the fake IdP (a fresh one each time, as a rotation makes).
pub struct IdpKey {
    pub kid: String,
    pair: RsaKey,
}

impl IdpKey {
    pub fn new(kid: &str) -> Self {
        let der = jws::generate(&Entropy::from_os()).unwrap();
        Self {
            kid: kid.into(),
            pair: RsaKey::from_pkcs8(&der).unwrap(),
        }
    }
    pub fn jwk(&self) -> Value {
        json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid,
            "n": B64URL.encode(&self.pair.n), "e": B64URL.encode(&self.pair.e)})
    }
    /// An RS256 JWS over `claims` whose header names `kid`.
    pub fn sign_as(&self, kid: &str, claims: &Value) -> String {
        let header = Header {
            kid: Some(kid.into()),
            ..Header::new(Algorithm::RS256)
        };
        self.pair.sign(&header, claims).unwrap()
    }
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_as(&self.kid, claims)
    }
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// ID token claims a well-behaved IdP would send for `sub`.
pub fn id_claims(sub: &str, email: &str, nonce: &str) -> Value {
    let now = now_secs();
    json!({"iss": IDP_ISSUER, "aud": IDP_CLIENT, "sub": sub, "email": email, "nonce": nonce,
        "iat": now, "exp": now + 600, "auth_time": now})
}

/// A small OIDC IdP played by wiremock: token, userinfo and JWKS endpoints.
pub struct FakeIdp {
    pub server: MockServer,
    pub key: IdpKey,
}

impl FakeIdp {
    pub async fn start() -> Self {
        Self {
            server: MockServer::start().await,
            key: IdpKey::new("idp-key-1"),
        }
    }
    pub fn uri(&self) -> String {
        self.server.uri()
    }
    /// Point the default config's `Mosaic` provider at this IdP.
    pub fn configure(&self, config: &mut emulator::Config, method: &str) {
        let idp = &mut config.cognito.pools[0].identity_providers[0];
        idp.authorize_url = format!("{}/auth", self.uri());
        idp.token_url = format!("{}/token", self.uri());
        idp.attributes_url = format!("{}/me", self.uri());
        idp.jwks_uri = format!("{}/jwks", self.uri());
        idp.attributes_request_method = method.into();
    }
    /// Answer the next exchanges with `id_token`, userinfo with `userinfo`, JWKS with `keys`.
    pub async fn answer(&self, id_token: &str, userinfo: Value, keys: Vec<Value>) {
        self.server.reset().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "access_token": "idp-access-token", "token_type": "Bearer", "expires_in": 3600,
                "id_token": id_token})))
            .mount(&self.server)
            .await;
        Mock::given(path("/me"))
            .respond_with(ResponseTemplate::new(200).set_body_json(userinfo))
            .mount(&self.server)
            .await;
        Mock::given(method("GET"))
            .and(path("/jwks"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": keys})))
            .mount(&self.server)
            .await;
    }
}

/// Start a federated sign-in: `/oauth2/authorize` with `identity_provider=Mosaic`; returns
/// the IdP authorize URL's parameters (Cognito's `state` and `nonce`).
pub async fn start_federation(
    base: &str,
    client_id: &str,
    app_state: &str,
) -> HashMap<String, String> {
    let url = format!(
        "{base}/oauth2/authorize?client_id={client_id}&redirect_uri={CALLBACK}&response_type=code&scope=openid+email&state={app_state}&identity_provider=Mosaic"
    );
    let r = browser().get(url).send().await.unwrap();
    assert_eq!(r.status(), 302);
    params(&location(&r))
}

/// The IdP sends the browser back to Cognito; returns Cognito's redirect parameters.
pub async fn idp_returns(base: &str, state: &str) -> (reqwest::StatusCode, String) {
    let r = browser()
        .get(format!("{base}/oauth2/idpresponse"))
        .query(&[("code", "idp-code"), ("state", state)])
        .send()
        .await
        .unwrap();
    let status = r.status();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, loc)
}

/// A complete federated sign-in against the fake IdP for `sub`/`email`: returns the final
/// redirect to the app.
pub async fn federated_sign_in(base: &str, idp: &FakeIdp, sub: &str, email: &str) -> String {
    let p = start_federation(base, "1example23456789abcdefghij", "app-state").await;
    let token = idp.key.sign(&id_claims(sub, email, &p["nonce"]));
    idp.answer(
        &token,
        json!({"sub": sub, "email": email}),
        vec![idp.key.jwk()],
    )
    .await;
    let (status, loc) = idp_returns(base, &p["state"]).await;
    assert_eq!(status, 302, "{loc}");
    loc
}

pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// The absolute path of a Lambda fixture.
pub fn fixture(rel: &str) -> String {
    format!("{}/../fixtures/lambda/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// Journal events matching a query string (`kind=trigger&name=...`).
pub async fn journal(base: &str, query: &str) -> Vec<Value> {
    let j: Value = reqwest::get(format!("{base}/_emulator/journal?{query}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    j.as_array()
        .cloned()
        .or_else(|| j["events"].as_array().cloned())
        .unwrap_or_default()
}

/// The default config with `trigger` (a LambdaConfig key) set to the ARN `arn`, mapped to
/// `target` in `[lambda_functions]`.
pub fn with_trigger(config: &mut emulator::Config, trigger: &str, arn: &str, target: &str) {
    config.cognito.pools[0]
        .lambda
        .insert(trigger.into(), arn.into());
    config.lambda_functions.insert(arn.into(), target.into());
}

/// What a browser does on the login page: load it (getting the `XSRF-TOKEN` cookie and the
/// form's `_csrf` field), then post the form with the cookie.
pub async fn submit_login(
    base: &str,
    login_path: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let b = browser();
    let page = b.get(format!("{base}{login_path}")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let cookie = set_cookie(&page).expect("XSRF-TOKEN cookie");
    let html = page.text().await.unwrap();
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("_csrf field")
        .to_owned();
    b.post(format!("{base}{login_path}"))
        .header("cookie", cookie)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}
