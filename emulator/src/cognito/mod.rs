//! The emulated Amazon Cognito user pool: its JSON API, tokens and keys.

pub mod api;
pub mod attributes;
pub mod error;
pub mod filter;
pub mod http;
pub mod keys;
pub mod model;
pub mod password;
pub mod tokens;
pub mod user;

use std::sync::Arc;

use crate::clock::{Clock, Entropy};
use crate::journal::Journal;
use crate::outbox::Outbox;
use crate::store::Store;

/// Everything the user-pool service needs, shared by its handlers.
#[derive(Debug, Clone)]
pub struct Cognito {
    pub store: Arc<Store>,
    pub clock: Arc<dyn Clock>,
    pub entropy: Arc<Entropy>,
    pub journal: Journal,
    pub outbox: Outbox,
    pub keys: Arc<keys::KeyRing>,
    pub region: String,
    /// Where this listener is reached (`http://localhost:9229`): the base of `iss`.
    pub base_url: String,
}

impl Cognito {
    /// `iss` of a pool's tokens: real Cognito's path shape on the emulator's own origin.
    pub fn issuer(&self, pool_id: &str) -> String {
        format!("{}/{pool_id}", self.base_url)
    }
}
