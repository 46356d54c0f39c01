//! The emulated passwordless IdP (Mosaic hosted login): an OIDC provider under `/cis/oidc/`,
//! the hosted experience (identifier, OTP, passkeys, WebAuthn QR) and its JSON endpoints.
//!
//! **Architecture Invariant:** the issuer comes from the config (per tenant), never from the
//! request's Host header; WebAuthn checks run in the pure `emulator-webauthn` crate.

pub mod admin;
pub mod config;
pub mod error;
pub mod experience;
pub mod http;
pub mod keys;
pub mod listener;
pub mod model;
pub mod oidc;
pub mod otp;
pub mod pages;
pub mod qr;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::Value;

use crate::clock::{Clock, Entropy};
use crate::journal::{EventKind, Journal, Service};
use crate::outbox::Outbox;
use crate::store::Store;
use crate::webauthn::{ChallengeRegistry, RelyingParty, RpConfig};
use config::{AppConfig, IdpSection};

/// An app with the tenant it belongs to and that tenant's issuer.
#[derive(Debug, Clone)]
pub struct App {
    pub tenant: String,
    pub issuer: String,
    pub config: AppConfig,
}

/// The validated `[idp]` section with its derived values.
#[derive(Debug)]
pub struct Settings {
    /// The origin browsers use, without a trailing slash.
    pub public_url: String,
    /// The issuer of the first tenant: what discovery and the JWKS describe.
    pub issuer: String,
    /// Each tenant's issuer, by tenant id.
    pub tenant_issuers: BTreeMap<String, String>,
    pub rp: RelyingParty,
    pub apps: BTreeMap<String, App>,
}

impl Settings {
    pub fn new(section: &IdpSection, public_url: &str) -> Result<Self, String> {
        section.validate()?;
        let public_url = public_url.trim_end_matches('/').to_owned();
        let host = url::Url::parse(&public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .ok_or_else(|| format!("idp public_url {public_url} has no host"))?;
        let rp_id = section.rp_id.clone().unwrap_or(host);
        let mut rp = RpConfig::new(rp_id, public_url.clone());
        rp.rp_name = "Mosaic hosted login (emulated)".into();
        let rp = RelyingParty::new(rp).map_err(|e| format!("idp relying party: {e}"))?;
        let mut apps = BTreeMap::new();
        let mut tenant_issuers = BTreeMap::new();
        for tenant in &section.tenants {
            let issuer = match tenant.issuer.as_deref() {
                Some(SELF_ISSUER) => self_issuer(&public_url, &tenant.id),
                Some(pinned) => pinned.to_owned(),
                None => section.issuer.clone(),
            };
            tenant_issuers.insert(tenant.id.clone(), issuer.clone());
            for app in &tenant.apps {
                let app = App {
                    tenant: tenant.id.clone(),
                    issuer: issuer.clone(),
                    config: app.clone(),
                };
                apps.insert(app.config.client_id.clone(), app);
            }
        }
        let issuer = section
            .tenants
            .first()
            .and_then(|t| tenant_issuers.get(&t.id).cloned())
            .unwrap_or(section.issuer.clone());
        Ok(Self {
            public_url,
            issuer,
            tenant_issuers,
            rp,
            apps,
        })
    }
}

/// A tenant's `issuer` value meaning the IdP's own address.
pub const SELF_ISSUER: &str = "self";

/// The issuer of a tenant with `issuer = "self"`.
pub fn self_issuer(public_url: &str, tenant: &str) -> String {
    format!("{public_url}/tenants/{tenant}")
}

/// Everything the IdP's handlers share.
#[derive(Debug, Clone)]
pub struct Idp {
    pub store: Arc<Store>,
    pub clock: Arc<dyn Clock>,
    pub entropy: Arc<Entropy>,
    pub journal: Journal,
    pub outbox: Outbox,
    pub settings: Arc<Settings>,
    pub keys: Arc<keys::IdpKeys>,
    /// Issued WebAuthn challenges (single use). A `std::sync::Mutex`: never held across an
    /// `.await`.
    pub challenges: Arc<Mutex<ChallengeRegistry>>,
    /// Bumped whenever a QR ticket is written: the desktop's long poll waits on it.
    pub qr_changes: Arc<tokio::sync::watch::Sender<u64>>,
    /// Injected faults (shared with Cognito).
    pub faults: crate::faults::Faults,
}

impl Idp {
    pub fn app(&self, client_id: &str) -> Option<&App> {
        self.settings.apps.get(client_id)
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_millis()
    }

    /// A random generator for one ceremony, drawn from the injected entropy.
    pub fn rng(&self) -> ChaCha20Rng {
        ChaCha20Rng::from_seed(self.entropy.bytes::<32>())
    }

    /// A URL-safe random identifier of 128 bits.
    pub fn random_id(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.entropy.bytes::<16>())
    }

    pub fn challenges(&self) -> std::sync::MutexGuard<'_, ChallengeRegistry> {
        self.challenges.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn record(&self, kind: EventKind, name: &str, flow: Option<&str>, detail: Value) {
        // A refused request may carry a client secret or a code: redacted.
        let detail = match kind {
            EventKind::Rejected => crate::redact::value(detail).0,
            _ => detail,
        };
        self.journal.record(Service::Idp, kind, name, flow, detail);
    }

    /// The key ID tokens are signed with: the IdP's own, or a rotation fault's new one (each
    /// use journaled under `flow`).
    pub fn signing_key(&self, flow: &str) -> Result<Arc<keys::Key>, error::OAuthError> {
        let Some(fault) = self.faults.key_rotated() else {
            return self.keys.get(&self.store, &self.entropy);
        };
        let key = self.keys.rotated(&self.entropy)?;
        let label = crate::faults::Fault::IdpKeyRotated(fault).label();
        self.record(
            EventKind::FlowStep,
            "fault.injected",
            Some(flow),
            serde_json::json!({"fault": label, "kid": key.kid}),
        );
        Ok(key)
    }

    /// Forget cached state after the control plane wiped the store.
    pub fn reset(&self) {
        self.keys.clear();
        *self.challenges() = ChallengeRegistry::new();
    }
}

/// SHA-256 as base64url (stored hashes of codes and tokens, `at_hash` halves).
pub fn sha256_b64(data: &[u8]) -> String {
    use base64::Engine;
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d.as_ref())
}
