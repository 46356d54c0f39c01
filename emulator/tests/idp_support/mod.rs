//! Shared helpers of the IdP tests: an emulator on ephemeral ports with a manual clock, an HTTP
//! client that resolves `idp.localhost` to it and never follows redirects, and the steps a user
//! takes (authorize, identifier, OTP from the outbox, passkey ceremonies with a virtual
//! authenticator), each asserting what the user would see.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, dead_code)]

use std::sync::Arc;

use emulator::clock::{Clock, ManualClock, SystemClock};
use emulator::{Config, Options, Running, Storage};
use harness::authenticator::{AuthenticatorConfig, VirtualAuthenticator};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const CLIENT: &str = "mosaic-demo-client";
pub const SECRET: &str = "mosaic-demo-secret";
pub const ISSUER: &str = "https://userid.security";

pub struct Idp {
    pub emu: Running,
    /// `http://idp.localhost:<port>`: the origin browsers and authenticators see.
    pub url: String,
    pub http: reqwest::Client,
    pub clock: Arc<ManualClock>,
}

pub async fn start() -> Idp {
    start_with(|_| {}).await
}

/// Starts the default config with `edit` applied to it.
pub async fn start_with(edit: impl FnOnce(&mut Config)) -> Idp {
    start_in(edit, Storage::Ephemeral).await
}

/// Starts the default config, edited, with its state in `storage`.
pub async fn start_in(edit: impl FnOnce(&mut Config), storage: Storage) -> Idp {
    let mut config = Config::default_config().with_ephemeral_ports();
    edit(&mut config);
    // Starts at the real time, so an independent JWT library checking `exp` agrees.
    let clock = Arc::new(ManualClock::new(SystemClock.now_millis()));
    let options = Options {
        clock: clock.clone(),
        storage,
        ..Options::default()
    };
    let emu = emulator::start_with(config, options).await.unwrap();
    let url = emu.idp_url.clone().expect("the default config has an IdP");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve("idp.localhost", emu.idp_addr.unwrap())
        .build()
        .unwrap();
    Idp {
        emu,
        url,
        http,
        clock,
    }
}

pub fn authenticator(seed: u64) -> VirtualAuthenticator {
    VirtualAuthenticator::with_seed(AuthenticatorConfig::platform_passkey(), seed).unwrap()
}

/// The `code` and `state` of a redirect to the client.
pub fn code_of(location: &str) -> (String, Option<String>) {
    let url = url::Url::parse(location).unwrap();
    let get = |k: &str| {
        url.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    (
        get("code").unwrap_or_else(|| panic!("no code in {location}")),
        get("state"),
    )
}

pub fn query_of(location: &str) -> std::collections::BTreeMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

impl Idp {
    pub fn redirect_uri(&self) -> String {
        format!("{}/oauth2/idpresponse", self.emu.cognito_url)
    }

    /// Authorization parameters a Cognito-like client sends, with `extra` replacing or adding.
    pub fn auth_params(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = [
            ("client_id", CLIENT),
            ("redirect_uri", &self.redirect_uri()),
            ("response_type", "code"),
            ("scope", "openid email"),
            ("state", "st-1"),
            ("nonce", "n-1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in extra {
            p.retain(|(n, _)| n != k);
            if !v.is_empty() {
                p.push((k.to_string(), v.to_string()));
            }
        }
        p
    }

    pub async fn authorize(
        &self,
        extra: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .get(format!("{}/cis/oidc/auth", self.url))
            .query(&self.auth_params(extra));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send().await.unwrap()
    }

    /// Authorizes and returns the hosted interaction's id from the redirect to the login page.
    pub async fn interaction(&self, extra: &[(&str, &str)]) -> String {
        let resp = self.authorize(extra, None).await;
        assert_eq!(
            resp.status(),
            StatusCode::SEE_OTHER,
            "{:?}",
            resp.text().await
        );
        let to = location(&resp);
        to.strip_prefix("/cis/login/")
            .unwrap_or_else(|| panic!("not the login page: {to}"))
            .to_owned()
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// A step of interaction `ix` that must succeed.
    pub async fn step(&self, ix: &str, step: &str, body: Value) -> Value {
        let (status, v) = self
            .post(&format!("/cis/api/interactions/{ix}/{step}"), body)
            .await;
        assert_eq!(status, StatusCode::OK, "{step}: {v}");
        v
    }

    /// A step that must fail; returns the error's name after checking the vendor's shape.
    pub async fn step_err(&self, ix: &str, step: &str, body: Value) -> (StatusCode, String) {
        let (status, v) = self
            .post(&format!("/cis/api/interactions/{ix}/{step}"), body)
            .await;
        assert!(!status.is_success(), "{step} should fail: {v}");
        assert_eq!(v["error_code"], json!(status.as_u16()), "{v}");
        assert!(v["message"][0].is_string(), "{v}");
        (status, v["error"].as_str().unwrap().to_owned())
    }

    /// The newest code the outbox holds for `destination` (through the IdP listener).
    pub async fn otp(&self, destination: &str) -> String {
        let (_, v) = self
            .get_json(&format!("/_emulator/outbox?destination={destination}"))
            .await;
        let m = v["messages"]
            .as_array()
            .unwrap()
            .last()
            .unwrap_or_else(|| panic!("no message to {destination}"));
        assert_eq!(m["purpose"], "otp");
        assert!(
            m["body"].as_str().unwrap().contains("expires in 5 minutes"),
            "{m}"
        );
        m["code"].as_str().unwrap().to_owned()
    }

    /// Runs a WebAuthn step of `ix` on `device`: options, ceremony, result; returns the body.
    pub async fn ceremony(
        &self,
        ix: &str,
        device: &mut VirtualAuthenticator,
    ) -> (StatusCode, Value) {
        let o = self.step(ix, "webauthn/options", json!({})).await;
        let options = o["publicKey"].to_string();
        let (cred, path) = match o["ceremony"].as_str().unwrap() {
            "create" => (
                device.create(&options, &self.url).unwrap(),
                "webauthn/register",
            ),
            _ => (
                device.get(&options, &self.url).unwrap(),
                "webauthn/authenticate",
            ),
        };
        self.post(&format!("/cis/api/interactions/{ix}/{path}"), cred)
            .await
    }

    /// Sign-up: identifier, OTP from the outbox, passkey registration; returns the redirect.
    pub async fn register(
        &self,
        email: &str,
        device: &mut VirtualAuthenticator,
        extra: &[(&str, &str)],
    ) -> String {
        let ix = self.interaction(extra).await;
        let v = self
            .step(&ix, "identifier", json!({"identifier": email}))
            .await;
        assert_eq!(v["step"], "otp", "{v}");
        let code = self.otp(&email.to_lowercase()).await;
        let v = self.step(&ix, "otp/verify", json!({"code": code})).await;
        assert_eq!(v["step"], "register", "{v}");
        let (status, v) = self.ceremony(&ix, device).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["redirect"].as_str().unwrap().to_owned()
    }

    /// Sign-up as [`Self::register`], also returning the session cookie (`name=value`) set
    /// with the redirect.
    pub async fn register_session(
        &self,
        email: &str,
        device: &mut VirtualAuthenticator,
    ) -> (String, String) {
        let ix = self.interaction(&[]).await;
        self.step(&ix, "identifier", json!({"identifier": email}))
            .await;
        let code = self.otp(email).await;
        self.step(&ix, "otp/verify", json!({"code": code})).await;
        let o = self.step(&ix, "webauthn/options", json!({})).await;
        let cred = device
            .create(&o["publicKey"].to_string(), &self.url)
            .unwrap();
        let resp = self
            .http
            .post(format!(
                "{}/cis/api/interactions/{ix}/webauthn/register",
                self.url
            ))
            .json(&cred)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let cookie = resp.headers()["set-cookie"].to_str().unwrap();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let v: Value = resp.json().await.unwrap();
        (v["redirect"].as_str().unwrap().to_owned(), cookie)
    }

    /// A returning user: identifier, passkey assertion; returns the redirect.
    pub async fn login(
        &self,
        email: &str,
        device: &mut VirtualAuthenticator,
        extra: &[(&str, &str)],
    ) -> String {
        let ix = self.interaction(extra).await;
        let v = self
            .step(&ix, "identifier", json!({"identifier": email}))
            .await;
        assert_eq!(v["step"], "passkey", "{v}");
        let (status, v) = self.ceremony(&ix, device).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["redirect"].as_str().unwrap().to_owned()
    }

    /// `POST /cis/oidc/token` with client_secret_post and `form` added.
    pub async fn token(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let mut body: Vec<(&str, &str)> = vec![("client_id", CLIENT), ("client_secret", SECRET)];
        body.extend_from_slice(form);
        let resp = self
            .http
            .post(format!("{}/cis/oidc/token", self.url))
            .form(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap())
    }

    pub async fn exchange(&self, code: &str) -> (StatusCode, Value) {
        let redirect_uri = self.redirect_uri();
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect_uri),
        ])
        .await
    }

    /// Verifies an ID token with an independent JWT library against the served JWKS.
    pub async fn verify_id_token(&self, token: &str) -> Value {
        let (_, jwks) = self.get_json("/cis/oidc/jwks").await;
        let jwks: JwkSet = serde_json::from_value(jwks).unwrap();
        let kid = decode_header(token)
            .unwrap()
            .kid
            .expect("kid in the header");
        let jwk = jwks.find(&kid).expect("kid in the JWKS");
        let mut v = Validation::new(Algorithm::RS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[CLIENT]);
        decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &v)
            .expect("ID token verifies")
            .claims
    }

    pub async fn userinfo_get(&self, access: &str) -> (StatusCode, Value) {
        let resp = self
            .http
            .get(format!("{}/cis/oidc/me", self.url))
            .bearer_auth(access)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// The journal's events of one flow, by name.
    pub async fn journal(&self, flow: &str) -> Vec<String> {
        let (_, v) = self
            .get_json(&format!("/_emulator/journal?flow={flow}"))
            .await;
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect()
    }
}

pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()["location"].to_str().unwrap().to_owned()
}
