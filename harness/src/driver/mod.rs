//! Scenario drivers: what a user's browser does, step by step. `http` is browserless (reqwest
//! with a cookie jar and the virtual authenticators, doing what the pages' script does).

pub mod app;
pub mod cognito;
pub mod http;

/// The emulator a driver talks to, and the default config's names it uses.
#[derive(Debug, Clone)]
pub struct Target {
    /// The Cognito origin, e.g. `http://localhost:9229`.
    pub cognito_url: String,
    /// The IdP origin browsers see, e.g. `http://idp.localhost:9230`.
    pub idp_url: String,
    /// The emulator's manual clock when the harness spawned it (`wait` steps advance it).
    pub clock: Option<std::sync::Arc<emulator::clock::ManualClock>>,
}

/// The default config's pool, app client and callback (`fixtures/emulator.toml`).
pub const POOL: &str = "us-east-1_Mosaic001";
pub const CLIENT: &str = "1example23456789abcdefghij";
pub const CALLBACK: &str = "http://localhost:3000/callback";
pub const PROVIDER: &str = "Mosaic";
