//! The native sign-ins through the JSON API, as `signin.rs` does them, each ending with the
//! app's check of the ID token against the pool's JWKS (the harness's `CognitoClient`). Each
//! sign-in is a user created beforehand (not timed), on an emulator of its own: the pool
//! allows WEB_AUTHN and the client USER_AUTH.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SecureRandom;
use base64::Engine as _;
use emulator::{Config, Options, Running};
use harness::authenticator::{AuthenticatorConfig, VirtualAuthenticator};
use harness::driver::cognito::CognitoClient;
use num_bigint::BigUint;
use serde_json::Value;

use crate::common;

pub struct Native {
    running: Running,
    http: reqwest::Client,
    /// The app's backend: checks ID tokens against the pool's JWKS.
    app: CognitoClient,
    next: AtomicU64,
}

impl Native {
    pub async fn start() -> Self {
        let config = Config::default_config().with_ephemeral_ports();
        let running = emulator::start_with(config, Options::default())
            .await
            .expect("start");
        let http = reqwest::Client::new();
        common::allow_passkeys(&http, &running.cognito_url).await;
        let app = CognitoClient::new(&running.cognito_url).expect("client");
        let next = AtomicU64::new(1);
        Self {
            running,
            http,
            app,
            next,
        }
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }

    fn url(&self) -> &str {
        &self.running.cognito_url
    }

    /// `iters` keep-alive round trips to the control plane's health check: the cost of an
    /// HTTP request that does nothing, on this machine, now.
    pub async fn health(&self, iters: u64) -> Duration {
        let url = format!("{}/_emulator/health", self.url());
        let start = Instant::now();
        for _ in 0..iters {
            let r = self.http.get(&url).send().await.expect("health");
            assert!(r.bytes().await.is_ok());
        }
        start.elapsed()
    }

    /// A new confirmed user with a password.
    async fn user(&self, kind: &str) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let email = format!("{kind}-{n}@example.com");
        common::create_user(&self.http, self.url(), &email).await;
        email
    }

    /// The app checks the ID token of an AuthenticationResult.
    async fn validate(&self, result: &Value) {
        let id = result["IdToken"].as_str().expect("IdToken");
        self.app.verify_id_token(id).await.expect("ID token");
    }

    /// `iters` SRP sign-ins of new users. The client draws a 1024-bit `a` (as
    /// amazon-cognito-identity-js does) and computes `A` within the timed part.
    pub async fn srp(&self, iters: u64) -> Duration {
        let mut users = Vec::new();
        for _ in 0..iters {
            users.push((self.user("srp").await, secret()));
        }
        let start = Instant::now();
        for (user, a) in &users {
            let result = common::srp_sign_in(&self.http, self.url(), user, a).await;
            self.validate(&result).await;
        }
        start.elapsed()
    }

    /// A new user who registered a passkey on a device of their own.
    async fn passkey_user(&self) -> (String, VirtualAuthenticator) {
        let user = self.user("passkey").await;
        let seed = self.next.fetch_add(1, Ordering::Relaxed);
        let config = AuthenticatorConfig::platform_passkey();
        let mut device = VirtualAuthenticator::with_seed(config, seed).expect("device");
        common::register_passkey(&self.http, self.url(), &user, &mut device).await;
        (user, device)
    }

    /// `n` users with a passkey who stay in the pool.
    pub async fn add_passkeys(&self, n: usize) {
        for _ in 0..n {
            self.passkey_user().await;
        }
    }

    /// `iters` USER_AUTH passkey sign-ins, each of a new user who registered a passkey just
    /// before and deletes it just after (neither timed): every sign-in lists all the pool's
    /// passkeys (`passkeys::of_user`), so the pool keeps the size it was given.
    pub async fn passkey(&self, iters: u64) -> Duration {
        let mut timed = Duration::ZERO;
        for _ in 0..iters {
            let (user, mut device) = self.passkey_user().await;
            let start = Instant::now();
            let result = common::passkey_sign_in(&self.http, self.url(), &user, &mut device).await;
            self.validate(&result).await;
            timed += start.elapsed();
            self.delete_passkey(&result, &device).await;
        }
        timed
    }

    async fn delete_passkey(&self, result: &Value, device: &VirtualAuthenticator) {
        let id = device.credentials().first().expect("credential").id.clone();
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id);
        let body = serde_json::json!({"AccessToken": result["AccessToken"], "CredentialId": id});
        common::call(&self.http, self.url(), "DeleteWebAuthnCredential", body).await;
    }
}

/// 128 random bytes: the client's SRP secret `a`.
fn secret() -> BigUint {
    let mut bytes = [0u8; 128];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("random");
    BigUint::from_bytes_be(&bytes)
}
