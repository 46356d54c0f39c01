//! Scenario drivers: what a user's browser does, step by step. `http` is browserless (reqwest
//! with a cookie jar and the virtual authenticators, doing what the pages' script does);
//! `browser` is Chromium over WebDriver with its own WebAuthn stack. Both give the emulator
//! the same requests in the same order, so a scenario's transcript is the same.

pub mod app;
pub mod browser;
pub mod cognito;
pub mod http;

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::anyhow;
use serde_json::Value;

use self::app::App;
use self::browser::BrowserDriver;
use self::browser::chromedriver::Chromedriver;
use self::http::HttpDriver;
use crate::authenticator::VirtualAuthenticator;
use crate::scenario::{NextStep, Scenario, Step};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DriverKind {
    /// Browserless: reqwest with a cookie jar and the virtual authenticators.
    Http,
    /// Chromium through chromedriver, with its virtual authenticators (WebDriver WebAuthn).
    Browser,
}

/// A driver of either kind.
#[derive(Debug)]
pub enum Driver {
    Http(Box<HttpDriver>),
    Browser(Box<BrowserDriver>),
}

/// What the drivers of one run share: for the browser driver, one chromedriver whose
/// sessions are the scenarios' windows.
#[derive(Debug, Clone)]
pub struct Drivers {
    pub kind: DriverKind,
    chromedriver: Option<Arc<Chromedriver>>,
    /// HTTPS: the run's CA (given to the emulators it spawns) and what its clients trust.
    pub tls: Option<Arc<RunTls>>,
    /// A team's own app under test (`--app-url`), instead of a scenario's `[app]` directory.
    pub app_url: Option<String>,
}

/// A run in HTTPS mode.
#[derive(Debug)]
pub struct RunTls {
    /// The CA of the emulators the run spawns (none against an emulator given by URL).
    pub authority: Option<emulator::tls::Authority>,
    pub trust: Trust,
}

impl RunTls {
    /// One CA for every emulator of the run, so every window trusts them all.
    pub fn new_ca() -> anyhow::Result<Self> {
        let now = emulator::clock::Clock::now_secs(&emulator::clock::SystemClock);
        let authority = emulator::tls::Authority::generate(now)?;
        let trust = Trust::from_pem(authority.cert_pem())?;
        Ok(Self {
            authority: Some(authority),
            trust,
        })
    }

    /// Trust the CA certificate in `path` (an emulator given by URL, `emulator ca`'s file).
    pub fn from_file(path: &std::path::Path) -> anyhow::Result<Self> {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| anyhow!("reading the CA certificate {}: {e}", path.display()))?;
        Ok(Self {
            authority: None,
            trust: Trust::from_pem(&pem)?,
        })
    }
}

impl Drivers {
    /// Starts chromedriver for the browser driver; nothing for the http driver.
    pub async fn start(kind: DriverKind) -> anyhow::Result<Self> {
        Self::start_with(kind, None).await
    }

    /// As [`Drivers::start`], for a run in HTTPS mode when `tls` is given: Chromium trusts
    /// certificates under its CA.
    pub async fn start_with(kind: DriverKind, tls: Option<RunTls>) -> anyhow::Result<Self> {
        let chromedriver = match kind {
            DriverKind::Http => None,
            DriverKind::Browser => {
                let spki = tls.as_ref().map(|t| t.trust.spki_sha256.clone());
                Some(Arc::new(Chromedriver::start().await?.trusting(spki)))
            }
        };
        Ok(Self {
            kind,
            chromedriver,
            tls: tls.map(Arc::new),
            app_url: None,
        })
    }

    /// The app under test at `url` (a team's dev server) for every scenario that drives one.
    pub fn with_app_url(mut self, url: Option<String>) -> Self {
        self.app_url = url;
        self
    }

    /// What a target of this run trusts.
    pub fn trust(&self) -> Option<Trust> {
        self.tls.as_ref().map(|t| t.trust.clone())
    }

    /// A driver for one scenario.
    pub fn driver(&self, target: Target, scenario: &Scenario) -> anyhow::Result<Driver> {
        Ok(match &self.chromedriver {
            None => Driver::Http(Box::new(HttpDriver::new(target, scenario)?)),
            Some(c) => Driver::Browser(Box::new(BrowserDriver::new(target, scenario, c.clone())?)),
        })
    }
}

impl Driver {
    /// A driver of its own (a browser driver starts its own chromedriver).
    pub async fn new(
        kind: DriverKind,
        target: Target,
        scenario: &Scenario,
    ) -> anyhow::Result<Self> {
        let tls = target.trust.clone().map(|trust| RunTls {
            authority: None,
            trust,
        });
        Drivers::start_with(kind, tls)
            .await?
            .driver(target, scenario)
    }

    pub async fn step(&mut self, step: &Step) -> anyhow::Result<()> {
        match self {
            Self::Http(d) => d.step(step).await,
            Self::Browser(d) => d.step(step).await,
        }
    }

    /// Types the identifier; returns what the page asks for next.
    pub async fn identify(&mut self) -> anyhow::Result<NextStep> {
        match self {
            Self::Http(d) => d.identify().await,
            Self::Browser(d) => d.identify().await,
        }
    }

    /// Puts a device (e.g. loaded from a device file) in the user's hands.
    pub fn insert_device(&mut self, name: &str, device: VirtualAuthenticator) {
        match self {
            Self::Http(d) => d.insert_device(name, device),
            Self::Browser(d) => d.insert_device(name, device),
        }
    }

    /// The device back, with the passkeys it holds now.
    pub async fn take_device(
        &mut self,
        name: &str,
    ) -> anyhow::Result<Option<VirtualAuthenticator>> {
        match self {
            Self::Http(d) => Ok(d.take_device(name)),
            Self::Browser(d) => d.take_device(name).await,
        }
    }

    /// The app under test's origin, when the scenario drives one.
    pub fn app_url(&self) -> Option<String> {
        match self {
            Self::Http(d) => d.target().app_url.clone(),
            Self::Browser(d) => d.target().app_url.clone(),
        }
    }

    pub fn app(&self) -> &App {
        match self {
            Self::Http(d) => &d.app,
            Self::Browser(d) => &d.app,
        }
    }

    /// Ends the driver's browser sessions and processes.
    pub async fn close(self) {
        if let Self::Browser(d) = self {
            d.close().await;
        }
    }
}

impl Target {
    /// Time passes: the emulator's manual clock moves on.
    pub fn wait(&self, seconds: i64) -> anyhow::Result<()> {
        let clock = self
            .clock
            .as_ref()
            .ok_or_else(|| anyhow!("waiting needs the emulator the harness starts (no --url)"))?;
        clock.advance_secs(seconds);
        Ok(())
    }
}

/// The scenario's devices: virtual authenticators seeded as the file says.
fn devices(scenario: &Scenario) -> anyhow::Result<BTreeMap<String, VirtualAuthenticator>> {
    let mut devices = BTreeMap::new();
    for (name, d) in &scenario.devices {
        let device = VirtualAuthenticator::with_seed(d.config(), d.seed)
            .map_err(|e| anyhow!("device {name}: {e}"))?;
        devices.insert(name.clone(), device);
    }
    Ok(devices)
}

/// The passwords of the native users of the preconditions, by email.
fn passwords(scenario: &Scenario) -> BTreeMap<String, String> {
    let users = scenario.preconditions.native_users.iter();
    users
        .map(|u| (u.email.clone(), u.password.clone()))
        .collect()
}

/// What each actor types as the identifier.
fn identifiers(scenario: &Scenario) -> BTreeMap<String, String> {
    let actors = scenario.actors.iter();
    actors
        .filter_map(|(n, a)| Some((n.clone(), a.identifier()?.to_owned())))
        .collect()
}

/// The last code the IdP sent to `destination` (its outbox on the control plane).
pub async fn latest_code(
    http: &reqwest::Client,
    idp_url: &str,
    destination: &str,
) -> anyhow::Result<String> {
    let destination = destination.to_lowercase();
    let mut url = url::Url::parse(&format!("{idp_url}/_emulator/outbox"))?;
    url.query_pairs_mut()
        .append_pair("destination", &destination);
    let v: Value = http.get(url.as_str()).send().await?.json().await?;
    v["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["code"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no code was sent to {destination}"))
}

/// HTTPS: the CA a run trusts (the one it gave its emulators, or `--ca` for one given by URL),
/// as the HTTP clients' TLS config and as Chromium's pin of the CA's key.
#[derive(Debug, Clone)]
pub struct Trust {
    pub ca_pem: String,
    /// Base64 SHA-256 of the CA's SubjectPublicKeyInfo (`--ignore-certificate-errors-spki-list`).
    pub spki_sha256: String,
    tls: emulator::tls::rustls::ClientConfig,
}

impl Trust {
    pub fn from_pem(ca_pem: &str) -> anyhow::Result<Self> {
        let spki_sha256 = emulator::tls::cert_spki_sha256(ca_pem)
            .ok_or_else(|| anyhow!("not a PEM certificate"))?;
        Ok(Self {
            tls: emulator::tls::client_config_from_pem(ca_pem)?,
            ca_pem: ca_pem.to_owned(),
            spki_sha256,
        })
    }
}

/// A client builder that trusts the run's CA, if it has one (only it: no system roots).
pub fn client_builder(trust: Option<&Trust>) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder();
    match trust {
        Some(t) => builder.use_preconfigured_tls(t.tls.clone()),
        None => builder,
    }
}

/// The emulator a driver talks to, and the default config's names it uses.
#[derive(Debug, Clone)]
pub struct Target {
    /// The Cognito origin, e.g. `http://localhost:9229`.
    pub cognito_url: String,
    /// The IdP origin browsers see, e.g. `http://idp.localhost:9230`.
    pub idp_url: String,
    /// The emulator's manual clock when the harness spawned it (`wait` steps advance it).
    pub clock: Option<std::sync::Arc<emulator::clock::ManualClock>>,
    /// HTTPS: the CA its certificates chain to.
    pub trust: Option<Trust>,
    /// The app under test's origin, when the scenario drives one.
    pub app_url: Option<String>,
}

/// The default config's pool, app client and callback (`fixtures/emulator.toml`).
pub const POOL: &str = "us-east-1_Mosaic001";
pub const CLIENT: &str = "1example23456789abcdefghij";
pub const CALLBACK: &str = "http://localhost:3000/callback";
pub const PROVIDER: &str = "Mosaic";
