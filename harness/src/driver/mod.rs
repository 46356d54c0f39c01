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
}

impl Drivers {
    /// Starts chromedriver for the browser driver; nothing for the http driver.
    pub async fn start(kind: DriverKind) -> anyhow::Result<Self> {
        let chromedriver = match kind {
            DriverKind::Http => None,
            DriverKind::Browser => Some(Arc::new(Chromedriver::start().await?)),
        };
        Ok(Self { kind, chromedriver })
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
        Drivers::start(kind).await?.driver(target, scenario)
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
