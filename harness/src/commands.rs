//! `harness run` (scenario files through a driver, with progress, a summary table, JUnit XML
//! and the exit status) and `harness login` (the whole federated sign-in, headless).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use clap::Args;

use crate::cli::{DeviceArgs, Preset};
use crate::driver::Driver;
use crate::driver::{DriverKind, Drivers, RunTls, Target};
use crate::runner::{self, Emulator};
use crate::scenario::{Actor, NextStep, Scenario, Step};

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// A running emulator's Cognito origin (reset before each scenario); default: start one
    /// in-process on ephemeral ports.
    #[arg(long)]
    pub url: Option<String>,
    /// The running emulator's IdP origin (with --url).
    #[arg(long, default_value = "http://idp.localhost:9230")]
    pub idp_url: String,
    /// HTTPS: the emulators the harness starts serve HTTPS with one CA for the run, trusted by
    /// the harness's clients and Chromium. With --url, give the emulator's CA with --ca.
    #[arg(long)]
    pub tls: bool,
    /// The CA certificate an emulator given by --url serves under (`emulator ca` prints its
    /// path); implies --tls.
    #[arg(long, requires = "url")]
    pub ca: Option<PathBuf>,
}

impl EmulatorArgs {
    /// The run's HTTPS settings, if any.
    fn tls(&self) -> anyhow::Result<Option<RunTls>> {
        match (&self.ca, self.tls, &self.url) {
            (Some(path), _, _) => Ok(Some(RunTls::from_file(path)?)),
            (None, true, Some(_)) => bail!("--tls with --url needs the emulator's CA: --ca FILE"),
            (None, true, None) => Ok(Some(RunTls::new_ca()?)),
            (None, false, _) => Ok(None),
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files (default: scenarios/*.toml).
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "http")]
    pub driver: DriverKind,
    #[command(flatten)]
    pub emulator: EmulatorArgs,
    /// Write a JUnit XML report to this file.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// How many scenarios run at once, each with its own emulator (default: the number of
    /// cores). With --url scenarios run one at a time: each resets the shared emulator.
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// The emulator config of the emulators the harness starts (default: the embedded one).
    #[arg(long, conflicts_with = "url")]
    pub config: Option<PathBuf>,
    /// Compare each transcript with `DIR/<scenario>.snap`; a difference or a missing snapshot
    /// fails the scenario with a diff.
    #[arg(long)]
    pub snapshots: Option<PathBuf>,
    /// With --snapshots: record the transcripts instead of comparing them.
    #[arg(long, requires = "snapshots")]
    pub update_snapshots: bool,
    /// Your own app under test (e.g. your dev server), for the scenarios' app steps
    /// (`open_app`, `click`, ...), instead of their `[app]` directory. Your app's config
    /// names the emulator it signs in through: use it with --url.
    #[arg(long)]
    pub app_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The user's email at the IdP (signed up with an OTP and a passkey when new).
    #[arg(long)]
    pub email: String,
    #[command(flatten)]
    pub emulator: EmulatorArgs,
    /// A device file holding the user's passkey (created when missing, updated after).
    #[arg(long)]
    pub device: Option<PathBuf>,
    /// `browser`: the same sign-in in Chromium, the device's passkeys injected into its
    /// virtual authenticator.
    #[arg(long, value_enum, default_value = "http")]
    pub driver: DriverKind,
    /// Seed of a new device's keys and credential ids (reproducible runs); by default drawn
    /// from the OS, so each new user gets a device of their own.
    #[arg(long)]
    pub seed: Option<u64>,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn scenario_files(files: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    if !files.is_empty() {
        return Ok(files.to_vec());
    }
    let dir = Path::new("scenarios");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {} (or name the files)", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    found.sort();
    if found.is_empty() {
        bail!("no scenario files in {}", dir.display());
    }
    Ok(found)
}

pub fn run(args: &RunArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let files = scenario_files(&args.files)?;
    let scenarios = files
        .iter()
        .map(|f| Scenario::load(f))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let emulator = match &args.emulator.url {
        Some(url) => Emulator::Url {
            cognito: url.clone(),
            idp: args.emulator.idp_url.clone(),
        },
        None => match &args.config {
            Some(path) => Emulator::SpawnWith(Box::new(crate::setup::load_document(path)?)),
            None => Emulator::Spawn,
        },
    };
    let n = scenarios.len();
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let mut finished = 0;
    let progress = |o: &runner::Outcome| {
        finished += 1;
        let secs = o.duration.as_secs_f64();
        eprintln!(
            "[{finished}/{n}] {}: {} ({secs:.2}s)",
            o.name,
            o.verdict.label()
        );
        match &o.verdict {
            runner::Verdict::Failed(why) if o.transcript.is_empty() => eprintln!("  {why}"),
            v if !v.ok() => eprintln!("{}", o.transcript),
            _ => {}
        }
    };
    let tls = args.emulator.tls()?;
    // An interrupt drops the run: the emulators, chromedriver and Chromium go with it.
    let outcomes = runtime()?.block_on(async {
        let drivers = Drivers::start_with(args.driver, tls)
            .await?
            .with_app_url(args.app_url.clone());
        tokio::select! {
            r = runner::run_all(&scenarios, &emulator, drivers, jobs, progress) => r,
            signal = interrupted() => bail!("interrupted by {signal}: stopped every process the run started"),
        }
    })?;
    let mut outcomes = outcomes;
    if let Some(dir) = &args.snapshots {
        let passed: Vec<bool> = outcomes.iter().map(|o| o.verdict.ok()).collect();
        let recorded = crate::snapshots::apply(dir, &mut outcomes, args.update_snapshots)?;
        if recorded > 0 {
            writeln!(out, "recorded {recorded} transcripts in {}", dir.display())?;
        }
        for (o, _) in outcomes
            .iter()
            .zip(passed)
            .filter(|(o, ok)| *ok && !o.verdict.ok())
        {
            if let runner::Verdict::Failed(why) = &o.verdict {
                writeln!(out, "{}: {why}", o.name)?;
            }
        }
    }
    writeln!(out, "\n{}", crate::report::summary(&outcomes))?;
    for o in &outcomes {
        if let runner::Verdict::ExpectedFailure(why) = &o.verdict {
            writeln!(out, "{} (expected failure): {why}", o.name)?;
        }
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, crate::report::junit("scenarios", &outcomes))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let failed = outcomes.iter().filter(|o| !o.verdict.ok()).count();
    if failed > 0 {
        bail!("{failed} of {n} scenarios failed");
    }
    Ok(())
}

/// The first SIGINT or SIGTERM.
async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        },
        _ => std::future::pending().await,
    }
}

pub fn login(args: &LoginArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let rt = runtime()?;
    let tokens = rt.block_on(async {
        tokio::select! {
            r = login_async(args) => r,
            signal = interrupted() => bail!("interrupted by {signal}"),
        }
    })?;
    writeln!(out, "{}", serde_json::to_string_pretty(&tokens)?)?;
    Ok(())
}

async fn login_async(args: &LoginArgs) -> anyhow::Result<serde_json::Value> {
    let tls = args.emulator.tls()?;
    let trust = tls.as_ref().map(|t| t.trust.clone());
    let (running, target) = match &args.emulator.url {
        Some(url) => {
            let target = Target {
                cognito_url: url.trim_end_matches('/').to_owned(),
                idp_url: args.emulator.idp_url.trim_end_matches('/').to_owned(),
                clock: None,
                trust,
                app_url: None,
            };
            (None, target)
        }
        None => {
            let mut config = emulator::Config::default_config().with_ephemeral_ports();
            config.tls.enabled = tls.is_some();
            let options = emulator::Options {
                tls_authority: tls.and_then(|t| t.authority),
                ..emulator::Options::default()
            };
            let running = emulator::start_with(config, options).await?;
            let target = Target {
                cognito_url: running.cognito_url.clone(),
                idp_url: running.idp_url.clone().context("no IdP")?,
                clock: None,
                trust,
                app_url: None,
            };
            (Some(running), target)
        }
    };
    let result = sign_in(args, target).await;
    if let Some(r) = running {
        r.stop().await;
    }
    result
}

async fn sign_in(args: &LoginArgs, target: Target) -> anyhow::Result<serde_json::Value> {
    let scenario = Scenario {
        name: "login".into(),
        description: String::new(),
        seed: 0,
        expected_failure: None,
        preconditions: Default::default(),
        actors: [(
            "user".to_owned(),
            Actor {
                email: Some(args.email.clone()),
                phone: None,
            },
        )]
        .into(),
        devices: Default::default(),
        steps: Vec::new(),
        expect: Default::default(),
        app: None,
        path: PathBuf::new(),
    };
    // A fixed seed would give every new user of one emulator the same credential id (the
    // second registration is refused as already registered).
    let seed = args
        .seed
        .unwrap_or_else(|| rand_core::RngCore::next_u64(&mut rand_core::OsRng));
    let device_args = args.device.as_ref().map(|d| DeviceArgs {
        device: d.clone(),
        preset: Preset::Platform,
        seed,
    });
    let device = match &device_args {
        Some(d) => crate::cli::open(d)?,
        None => crate::authenticator::VirtualAuthenticator::with_seed(
            crate::authenticator::AuthenticatorConfig::platform_passkey(),
            seed,
        )
        .map_err(|e| anyhow!("{e}"))?,
    };
    let mut driver = Driver::new(args.driver, target, &scenario).await?;
    let r = sign_in_with(&mut driver, device, device_args.as_ref()).await;
    driver.close().await;
    r
}

async fn sign_in_with(
    driver: &mut Driver,
    device: crate::authenticator::VirtualAuthenticator,
    device_args: Option<&DeviceArgs>,
) -> anyhow::Result<serde_json::Value> {
    driver.insert_device("device", device);
    driver
        .step(&Step::OpenLogin {
            actor: "user".into(),
            device: "device".into(),
        })
        .await?;
    driver.step(&Step::ChooseBiometrics {}).await?;
    let device = "device".to_owned();
    let steps = match driver.identify().await? {
        NextStep::Otp => vec![Step::ReadOtp {}, Step::CreatePasskey { device }],
        NextStep::Passkey => vec![Step::UsePasskey { device }],
    };
    for s in steps.iter().chain([&Step::ExpectTokens {}]) {
        driver
            .step(s)
            .await
            .with_context(|| format!("the user {}", s.title()))?;
    }
    if let (Some(d), Some(dev)) = (device_args, driver.take_device("device").await?) {
        crate::cli::save(d, &dev)?;
    }
    driver
        .app()
        .tokens
        .clone()
        .ok_or_else(|| anyhow!("no tokens"))
}
