//! The in-process emulator the stateful targets (`api`, `oauth`, `tokens`) send their inputs
//! to: the embedded default config (the guide's pool, client, IdP and its app), seeded
//! randomness, a manual clock, in-memory storage, one current-thread tokio runtime. Requests
//! go to the routers with `oneshot`, never through a socket.
//!
//! State carries over from one input to the next (a pool created by one input is there for
//! the next), and is reset every [`RESET_EVERY`] inputs through `/_emulator/reset`, so memory
//! and the cost of each call stay bounded. A crash that needs earlier inputs' state may not
//! replay alone; none so far did.
//!
//! Live values: what a fuzzer cannot forge (an access token, a refresh token, a sign-in
//! session) is written as a placeholder (`@access`, `@refresh`, `@secret-block` for SRP's
//! PASSWORD_VERIFIER, whose state is its SECRET_BLOCK, `@new-password-session` for
//! NEW_PASSWORD_REQUIRED, `@user` for the username they belong to), and [`Emu::live`] makes
//! real ones for the input: a new user of the default pool, signed in through the API.
#![allow(dead_code, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

use serde_json::{Value, json};

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use emulator::clock::ManualClock;
use emulator::{Config, Options, Running, Storage};
use tower::ServiceExt as _;

pub const POOL: &str = "us-east-1_Mosaic001";
pub const CLIENT: &str = "1example23456789abcdefghij";

/// Inputs between two resets.
const RESET_EVERY: u64 = 20_000;

/// 2023-11-14T22:13:20Z: a fixed now, so the same state answers the same input alike.
const NOW_MILLIS: i64 = 1_700_000_000_000;

pub struct Emu {
    pub rt: tokio::runtime::Runtime,
    pub running: Running,
    pub cognito: Router,
    pub idp: Router,
    control: Router,
    inputs: AtomicU64,
    /// Numbers the users [`Emu::live`] creates.
    live_users: AtomicU64,
    /// The shared live user and how many inputs it served. A `std::sync::Mutex`: never held
    /// across an `.await`.
    live: Mutex<Option<(Bundle, u32)>>,
}

/// A live user of the default pool, signed in.
#[derive(Clone)]
struct Bundle {
    user: String,
    access: Option<String>,
    refresh: Option<String>,
}

/// Inputs one live user and its tokens serve (an input may revoke the tokens, or delete or
/// disable the user: the harm lasts at most this many inputs).
const LIVE_REUSE: u32 = 64;
const TEMPORARY: &str = "Temp0rary!1";
const PASSWORD: &str = "Passw0rd!";

/// The placeholders [`Emu::live`] replaces.
pub const PLACEHOLDERS: [&str; 5] = [
    "@access",
    "@refresh",
    "@secret-block",
    "@new-password-session",
    "@user",
];

/// The default config, bound to ephemeral ports but keeping its public URLs (nothing
/// connects to the listeners; the URLs are what redirect URIs and issuers are checked
/// against, so seeds stay valid from one run to the next).
fn config() -> Config {
    let mut config = Config::default_config();
    config.seed = Some(1);
    config.journal_capacity = 1_000;
    config.journal_max_bytes = 1 << 20;
    config.cognito.bind.set_port(0);
    if let Some(idp) = &mut config.idp {
        idp.bind.set_port(0);
    }
    config
}

pub static EMU: LazyLock<Emu> = LazyLock::new(|| {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let config = config();
    let options = Options {
        storage: Storage::Ephemeral,
        clock: std::sync::Arc::new(ManualClock::new(NOW_MILLIS)),
        tls_authority: None,
    };
    let running = rt
        .block_on(emulator::start_with(config.clone(), options))
        .expect("emulator starts");
    let cognito = emulator::cognito::http::router(running.cognito.clone());
    let idp = running
        .idp
        .clone()
        .map(emulator::idp::http::router)
        .expect("the default config has an [idp] section");
    let control = emulator::control::router(emulator::control::Control {
        cognito: running.cognito.clone(),
        idp: running.idp.clone(),
        config: std::sync::Arc::new(config),
    });
    Emu {
        rt,
        running,
        cognito,
        idp,
        control,
        inputs: AtomicU64::new(0),
        live_users: AtomicU64::new(0),
        live: Mutex::new(None),
    }
});

impl Emu {
    /// Count an input; every [`RESET_EVERY`] inputs, wipe the state and seed it again.
    pub fn tick(&self) {
        if self.inputs.fetch_add(1, Ordering::Relaxed) % RESET_EVERY == RESET_EVERY - 1 {
            let reset = Request::post("/_emulator/reset")
                .body(Body::empty())
                .expect("reset request");
            let status = self
                .rt
                .block_on(self.control.clone().oneshot(reset))
                .map(|r| r.status());
            assert!(
                matches!(status, Ok(s) if s.is_success()),
                "reset failed: {status:?}"
            );
            *self.live.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
    }

    /// Send a request to a router and read the whole response: its status and body. With
    /// `FUZZ_VERBOSE` set (replaying an input), the request and the answer are printed.
    pub fn send(&self, app: &Router, req: Request<Body>) -> (u16, Vec<u8>) {
        static VERBOSE: LazyLock<bool> =
            LazyLock::new(|| std::env::var_os("FUZZ_VERBOSE").is_some());
        if *VERBOSE {
            eprintln!("> {} {} {:?}", req.method(), req.uri(), req.headers());
        }
        self.rt.block_on(async {
            let Ok(resp) = app.clone().oneshot(req).await;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await;
            let body = body.map(|b| b.to_vec()).unwrap_or_default();
            if *VERBOSE {
                eprintln!("< {status} {headers:?}\n{}", String::from_utf8_lossy(&body));
            }
            (status, body)
        })
    }

    /// Call a JSON API operation; its answer if it succeeded.
    pub fn call(&self, op: &str, body: Value) -> Option<Value> {
        let req = Request::post("/")
            .header("content-type", "application/x-amz-json-1.1")
            .header(
                "x-amz-target",
                format!("AWSCognitoIdentityProviderService.{op}"),
            )
            .body(Body::from(body.to_string()))
            .ok()?;
        self.rt.block_on(async {
            let Ok(resp) = self.cognito.clone().oneshot(req).await;
            if !resp.status().is_success() {
                return None;
            }
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .ok()?;
            serde_json::from_slice(&bytes).ok()
        })
    }

    /// A new user of the default pool, on its temporary password or a permanent one.
    fn new_user(&self, permanent: bool) -> Option<String> {
        let n = self.live_users.fetch_add(1, Ordering::Relaxed);
        let user = format!("live{n}@example.com");
        self.call(
            "AdminCreateUser",
            json!({"UserPoolId": POOL, "Username": user, "MessageAction": "SUPPRESS",
                   "TemporaryPassword": TEMPORARY,
                   "UserAttributes": [{"Name": "email", "Value": user},
                                      {"Name": "email_verified", "Value": "true"}]}),
        )?;
        if permanent {
            self.call(
                "AdminSetUserPassword",
                json!({"UserPoolId": POOL, "Username": user, "Password": PASSWORD,
                       "Permanent": true}),
            )?;
        }
        Some(user)
    }

    fn initiate(&self, flow: &str, params: Value) -> Option<Value> {
        self.call(
            "InitiateAuth",
            json!({"ClientId": CLIENT, "AuthFlow": flow, "AuthParameters": params}),
        )
    }

    /// The shared live user and its tokens, made again every [`LIVE_REUSE`] inputs.
    fn bundle(&self) -> Option<Bundle> {
        let mut cache = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((b, uses)) = cache.as_mut().filter(|(_, uses)| *uses < LIVE_REUSE) {
            *uses += 1;
            return Some(b.clone());
        }
        *cache = None;
        let user = self.new_user(true)?;
        let answer = self.initiate(
            "USER_PASSWORD_AUTH",
            json!({"USERNAME": user, "PASSWORD": PASSWORD}),
        );
        let result = answer.as_ref().map(|a| &a["AuthenticationResult"]);
        let token = |member: &str| result.and_then(|r| r[member].as_str()).map(str::to_owned);
        let b = Bundle {
            access: token("AccessToken"),
            refresh: token("RefreshToken"),
            user,
        };
        *cache = Some((b.clone(), 1));
        Some(b)
    }

    /// Real values for the placeholders `wanted` says an input holds. Tokens belong to a user
    /// shared by [`LIVE_REUSE`] inputs (signing a user in per input cost more than the
    /// input); single-use values are made for each input: the SECRET_BLOCK of an SRP
    /// sign-in of that user, and a NEW_PASSWORD_REQUIRED session of a user of its own
    /// (`@user` is then that user). A value the current state cannot give (a policy or a
    /// client an earlier input changed) is left out, and its placeholder stays as written.
    pub fn live(&self, wanted: impl Fn(&str) -> bool) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if wanted("@new-password-session")
            && let Some(user) = self.new_user(false)
        {
            let answer = self.initiate(
                "USER_PASSWORD_AUTH",
                json!({"USERNAME": user, "PASSWORD": TEMPORARY}),
            );
            if let Some(s) = answer.as_ref().and_then(|a| a["Session"].as_str()) {
                out.push(("@new-password-session", s.to_owned()));
            }
            out.push(("@user", user));
        }
        let shared = ["@access", "@refresh", "@secret-block", "@user"];
        if !shared.iter().any(|p| wanted(p)) {
            return out;
        }
        let Some(b) = self.bundle() else {
            return out;
        };
        if !out.iter().any(|(p, _)| *p == "@user") {
            out.push(("@user", b.user.clone()));
        }
        out.extend(b.access.map(|v| ("@access", v)));
        out.extend(b.refresh.map(|v| ("@refresh", v)));
        if wanted("@secret-block") {
            let answer = self.initiate("USER_SRP_AUTH", json!({"USERNAME": b.user, "SRP_A": "02"}));
            let block = answer
                .as_ref()
                .map(|a| &a["ChallengeParameters"]["SECRET_BLOCK"]);
            if let Some(v) = block.and_then(Value::as_str) {
                out.push(("@secret-block", v.to_owned()));
            }
        }
        out
    }
}
