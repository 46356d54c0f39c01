//! The emulated Amazon Cognito user pool: its JSON API, tokens and keys.

pub mod api;
pub mod attributes;
pub mod cors;
pub mod error;
pub mod federation;
pub mod filter;
pub mod http;
pub mod iam;
pub mod keys;
pub mod model;
pub mod oauth;
pub mod passkeys;
pub mod password;
pub mod signin;
pub mod tokens;
pub mod triggers;
pub mod user;

use std::sync::Arc;

use crate::clock::{Clock, Entropy};
use crate::config::IssuerStyle;
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
    /// Outbound HTTP (to IdPs and RIE targets), the IdP key cache and trigger workers.
    pub services: Arc<Services>,
    /// Which form of `iss` each pool's tokens carry.
    pub issuers: Arc<Issuers>,

    /// Injected faults (shared with the IdP).
    pub faults: crate::faults::Faults,
}

/// What the hosted UI and federation need beyond the store.
#[derive(Debug)]
pub struct Services {
    pub http: reqwest::Client,
    pub jwks: federation::oidc::JwksCache,
    pub triggers: triggers::Triggers,
    /// The triggers' execution roles: what a handler's calls may do.
    pub roles: iam::Roles,
    /// WebAuthn challenges issued for user-pool passkeys, each usable once. A
    /// `std::sync::Mutex`: never held across an `.await`.
    challenges: std::sync::Mutex<crate::webauthn::ChallengeRegistry>,
}

impl Services {
    pub fn challenges(&self) -> std::sync::MutexGuard<'_, crate::webauthn::ChallengeRegistry> {
        self.challenges.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `functions` maps Lambda ARNs to emulator trigger targets (`[lambda_functions]`),
    /// `permissions` to the actions their roles allow (`[lambda_permissions]`);
    /// `trigger_timeout` bounds each attempt (Cognito's 5 s when `None`); `tls`, in HTTPS
    /// mode, is what outbound calls trust (the local CA).
    pub fn new(
        functions: std::collections::BTreeMap<String, String>,
        permissions: std::collections::BTreeMap<String, Vec<String>>,
        trigger_timeout: Option<std::time::Duration>,
        tls: Option<&crate::tls::Outbound>,
    ) -> Self {
        let client = |builder: reqwest::ClientBuilder| {
            match tls {
                Some(t) => builder.use_preconfigured_tls(t.config.clone()),
                None => builder,
            }
            .build()
            .unwrap_or_default()
        };
        let http = client(
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(10))
                .dns_resolver(Arc::new(LocalhostResolver)),
        );
        Self {
            http,
            jwks: Default::default(),
            triggers: triggers::Triggers::new(functions, client(reqwest::Client::builder()))
                .with_timeout(trigger_timeout.unwrap_or(triggers::TIMEOUT))
                .with_ca_file(tls.map(|t| t.ca_file.clone())),
            roles: iam::Roles::new(permissions),
            challenges: Default::default(),
        }
    }
}

/// Resolves `localhost` and `*.localhost` to loopback itself, as browsers do (the IdP's
/// default origin is `idp.localhost`, which the system resolver may not know).
#[derive(Debug)]
struct LocalhostResolver;

impl reqwest::dns::Resolve for LocalhostResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            if host == "localhost" || host.ends_with(".localhost") {
                let addrs: reqwest::dns::Addrs =
                    Box::new(vec![std::net::SocketAddr::from(([127, 0, 0, 1], 0))].into_iter());
                return Ok(addrs);
            }
            let found: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// The issuer style of each pool: the config's choices, and a default for the others.
#[derive(Debug, Default)]
pub struct Issuers {
    pub default: IssuerStyle,
    pub pools: std::collections::BTreeMap<String, IssuerStyle>,
}

impl Cognito {
    /// `iss` of a pool's tokens: real Cognito's path shape on the emulator's own origin, or
    /// production's form (the region is the pool id's prefix, as in every real pool id).
    pub fn issuer(&self, pool_id: &str) -> String {
        let style = self
            .issuers
            .pools
            .get(pool_id)
            .unwrap_or(&self.issuers.default);
        match style {
            IssuerStyle::Emulator => format!("{}/{pool_id}", self.base_url),
            IssuerStyle::Aws => {
                let region = pool_id
                    .split_once('_')
                    .map_or(self.region.as_str(), |(r, _)| r);
                format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}")
            }
        }
    }
}
