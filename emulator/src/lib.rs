//! Offline emulator of an Amazon Cognito user pool federated to a passwordless OIDC IdP.
//!
//! **API Boundary:** [`start`] / [`start_with`] return a [`Running`] emulator; [`Config`]
//! describes it; the `cognito` module holds the user-pool service; `webauthn` is the pure
//! relying-party verifier (a crate of its own, re-exported).

pub mod clock;
pub mod cognito;
pub mod config;
pub mod console;
pub mod control;
pub mod doctor;
pub mod faults;
pub mod idp;
pub mod import;
pub mod journal;
pub mod jws;
pub mod outbox;
pub mod redact;
mod seed;
pub mod server;
pub mod store;
pub mod tls;

pub use config::Config;
pub use emulator_webauthn as webauthn;
pub use server::{Options, Running, Storage, start, start_with};
