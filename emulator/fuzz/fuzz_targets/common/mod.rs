//! The in-process emulator the stateful targets (`api`, `oauth`, `tokens`) send their inputs
//! to: the embedded default config (the guide's pool, client, IdP and its app), seeded
//! randomness, a manual clock, in-memory storage, one current-thread tokio runtime. Requests
//! go to the routers with `oneshot`, never through a socket.
//!
//! State carries over from one input to the next (a pool created by one input is there for
//! the next), and is reset every [`RESET_EVERY`] inputs through `/_emulator/reset`, so memory
//! and the cost of each call stay bounded. A crash that needs earlier inputs' state may not
//! replay alone; none so far did.
#![allow(dead_code, clippy::expect_used)]

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

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
}

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
        }
    }

    /// Send a request to a router and read the whole response body. The status is returned;
    /// any answer is fine, a panic is the failure.
    pub fn send(&self, app: &Router, req: Request<Body>) -> u16 {
        self.rt.block_on(async {
            let Ok(resp) = app.clone().oneshot(req).await;
            let status = resp.status().as_u16();
            let _ = axum::body::to_bytes(resp.into_body(), usize::MAX).await;
            status
        })
    }
}
