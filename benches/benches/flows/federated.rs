//! The federated flows through the harness's browserless driver (`HttpDriver`), exactly as
//! `harness run` drives the scenarios: Cognito's hosted login, the IdP's pages and JSON
//! calls, the virtual authenticator, `/oauth2/idpresponse`, the code exchange and the ID
//! token checked against the pool's JWKS. Each sign-in is a new user (or a new native user
//! to link), on an emulator whose pool runs the built-in `link_by_email` as PreSignUp.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use emulator::{Config, Options, Running};
use harness::authenticator::{AuthenticatorConfig, VirtualAuthenticator};
use harness::driver::Target;
use harness::driver::http::HttpDriver;
use harness::scenario::{Actor, NextStep, Scenario, Step};

pub const ACTOR: &str = "user";
pub const DEVICE: &str = "device";

/// The emulator of the federated flows and the source of new users.
pub struct Federation {
    running: Running,
    target: Target,
    next: AtomicU64,
}

fn open() -> [Step; 2] {
    [
        Step::OpenLogin {
            actor: ACTOR.into(),
            device: DEVICE.into(),
        },
        Step::ChooseBiometrics {},
    ]
}

/// A new user: email OTP, a passkey created, then `last` (`register.toml`).
pub fn first_steps(last: Step) -> Vec<Step> {
    let mut steps = open().to_vec();
    steps.extend([
        Step::EnterIdentifier {
            next: NextStep::Otp,
        },
        Step::ReadOtp {},
        Step::CreatePasskey {
            device: DEVICE.into(),
        },
        last,
    ]);
    steps
}

/// A returning user: the passkey alone (`login.toml`'s second sign-in).
pub fn returning_steps() -> Vec<Step> {
    let mut steps = open().to_vec();
    steps.extend([
        Step::EnterIdentifier {
            next: NextStep::Passkey,
        },
        Step::UsePasskey {
            device: DEVICE.into(),
        },
        Step::ExpectTokens {},
    ]);
    steps
}

/// `link-corrected.toml`: PreSignUp links and refuses the first sign-in, the second lands on
/// the native user.
pub fn linking_steps() -> Vec<Step> {
    let refused = Step::ExpectError {
        error: "invalid_request".into(),
        description: "re_authentication_required".into(),
    };
    let mut steps = first_steps(refused);
    steps.extend(returning_steps());
    steps
}

/// A scenario of one actor, as `harness login` builds it: the driver needs its identifier.
pub fn scenario(email: &str) -> Scenario {
    let actor = Actor {
        email: Some(email.to_owned()),
        phone: None,
    };
    Scenario {
        name: "bench".into(),
        description: String::new(),
        seed: 0,
        expected_failure: None,
        preconditions: Default::default(),
        actors: [(ACTOR.to_owned(), actor)].into(),
        devices: Default::default(),
        steps: Vec::new(),
        expect: Default::default(),
        app: None,
        path: Default::default(),
    }
}

async fn run(driver: &mut HttpDriver, steps: &[Step]) {
    for step in steps {
        if let Err(e) = driver.step(step).await {
            panic!("{}: {e:#}", step.title());
        }
    }
}

impl Federation {
    /// The default config with `builtin:link_by_email` as the pool's PreSignUp, in memory,
    /// on ephemeral ports.
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    /// [`Federation::start`] with other storage (a data directory for the soak).
    pub async fn start_with(options: Options) -> Self {
        let mut config = Config::default_config().with_ephemeral_ports();
        let pool = config.cognito.pools.first_mut().expect("pool");
        pool.lambda
            .insert("PreSignUp".into(), "builtin:link_by_email".into());
        let running = emulator::start_with(config, options).await.expect("start");
        let target = Target {
            cognito_url: running.cognito_url.clone(),
            idp_url: running.idp_url.clone().expect("idp"),
            clock: None,
            trust: None,
            app_url: None,
        };
        let next = AtomicU64::new(1);
        Self {
            running,
            target,
            next,
        }
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }

    /// A driver for a new user (email and device seed never used before on this emulator).
    fn driver(&self, kind: &str) -> (HttpDriver, String) {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let email = format!("{kind}-{n}@example.com");
        let mut driver = HttpDriver::new(self.target.clone(), &scenario(&email)).expect("driver");
        let device = VirtualAuthenticator::with_seed(AuthenticatorConfig::platform_passkey(), n)
            .expect("authenticator");
        driver.insert_device(DEVICE, device);
        (driver, email)
    }

    /// One first sign-in of a new user, up to validated tokens: its time, or what failed.
    pub async fn one_first(&self) -> Result<Duration, String> {
        let (mut driver, _) = self.driver("load");
        let start = Instant::now();
        for step in first_steps(Step::ExpectTokens {}) {
            driver
                .step(&step)
                .await
                .map_err(|e| format!("{}: {e:#}", step.title()))?;
        }
        Ok(start.elapsed())
    }

    /// The running emulator (its store, journal and URLs).
    pub fn running(&self) -> &Running {
        &self.running
    }

    /// `iters` first sign-ins of new users; the time of the sign-ins alone.
    pub async fn first(&self, iters: u64) -> Duration {
        let mut drivers: Vec<_> = (0..iters).map(|_| self.driver("first").0).collect();
        let steps = first_steps(Step::ExpectTokens {});
        let start = Instant::now();
        for d in &mut drivers {
            run(d, &steps).await;
        }
        let elapsed = start.elapsed();
        assert!(drivers.iter().all(|d| d.app.claims.is_some()));
        elapsed
    }

    /// `iters` returning sign-ins, each of a user who signed up beforehand (not timed).
    pub async fn returning(&self, iters: u64) -> Duration {
        let mut drivers = Vec::new();
        for _ in 0..iters {
            let (mut d, _) = self.driver("returning");
            run(&mut d, &first_steps(Step::ExpectTokens {})).await;
            drivers.push(d);
        }
        let steps = returning_steps();
        let start = Instant::now();
        for d in &mut drivers {
            run(d, &steps).await;
        }
        start.elapsed()
    }

    /// `iters` account linkings: a native user with the email exists beforehand (not timed);
    /// the timed part is both sign-ins, up to the native user's validated tokens.
    pub async fn linking(&self, iters: u64) -> Duration {
        let http = reqwest::Client::new();
        let url = &self.target.cognito_url;
        let mut drivers = Vec::new();
        for _ in 0..iters {
            let (d, email) = self.driver("linking");
            crate::common::create_user(&http, url, &email).await;
            drivers.push(d);
        }
        let steps = linking_steps();
        let start = Instant::now();
        for d in &mut drivers {
            run(d, &steps).await;
        }
        let elapsed = start.elapsed();
        for d in &drivers {
            let claims = d.app.claims.as_ref().expect("claims");
            let user = claims["cognito:username"].as_str().unwrap_or("");
            assert!(!user.starts_with("Mosaic_"), "not linked: {user}");
        }
        elapsed
    }
}
