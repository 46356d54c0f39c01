//! Runs scenarios, several at a time when asked; each: an emulator spawned in-process (seeded, manual clock, ephemeral ports) or
//! one given by URL (reset first), the preconditions, each step through the chosen driver
//! (each bounded in time) with the journal's events since the previous step, then the
//! expectations. The verdict accounts
//! for scenarios that document a known failure.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use emulator::clock::ManualClock;
use serde_json::Value;

use crate::driver::{Driver, DriverKind, Drivers, RunTls, Target};
use crate::scenario::Scenario;
use crate::transcript::Transcript;

/// The emulator's clock in spawned runs: 2026-01-01T00:00:00Z, whatever the real time.
pub const START_MILLIS: i64 = 1_767_225_600_000;

/// The longest a step may take (a browser step waits for several pages, each bounded too).
const STEP_TIMEOUT: Duration = Duration::from_secs(90);

const LAMBDA_ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:scenario-pre-sign-up";

/// Where to run: a fresh emulator per scenario (with the default config, or another), or a
/// running one (reset before each).
#[derive(Debug, Clone)]
pub enum Emulator {
    Spawn,
    SpawnWith(Box<emulator::Config>),
    Url { cognito: String, idp: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Failed(String),
    /// A scenario documenting a failure failed as documented: the reason, with the journal's.
    ExpectedFailure(String),
    /// A scenario documenting a failure passed: the failure is gone, update the scenario.
    UnexpectedPass,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        matches!(self, Verdict::Passed | Verdict::ExpectedFailure(_))
    }
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed(_) => "FAILED",
            Verdict::ExpectedFailure(_) => "expected failure",
            Verdict::UnexpectedPass => "UNEXPECTED PASS",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: String,
    pub file: String,
    pub verdict: Verdict,
    pub transcript: String,
    pub duration: Duration,
}

/// Runs one scenario; `Err` only when the harness could not run it at all.
pub async fn run(
    scenario: &Scenario,
    emulator: &Emulator,
    driver: DriverKind,
) -> anyhow::Result<Outcome> {
    run_with(scenario, emulator, &Drivers::start(driver).await?).await
}

/// Runs scenarios, up to `jobs` at a time (each with its own emulator when spawned; one at a
/// time against a running emulator, which each scenario resets), and calls `done` as each
/// finishes. The outcomes come back in the scenarios' order; a scenario the harness could not
/// run at all fails with the reason, and the run goes on.
pub async fn run_all(
    scenarios: &[Scenario],
    emulator: &Emulator,
    drivers: Drivers,
    jobs: usize,
    mut done: impl FnMut(&Outcome),
) -> anyhow::Result<Vec<Outcome>> {
    let jobs = match emulator {
        Emulator::Url { .. } => 1,
        _ => jobs.max(1),
    };
    let mut running = tokio::task::JoinSet::new();
    let mut outcomes: Vec<Option<Outcome>> = vec![None; scenarios.len()];
    let mut next = 0;
    while next < scenarios.len() || !running.is_empty() {
        while next < scenarios.len() && running.len() < jobs {
            let (s, e, d) = (scenarios[next].clone(), emulator.clone(), drivers.clone());
            let i = next;
            running.spawn(async move { (i, run_with(&s, &e, &d).await.map_err(|e| (s, e))) });
            next += 1;
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (i, r) = joined.context("a scenario's task panicked")?;
        let o = r.unwrap_or_else(|(s, e)| not_run(&s, &e));
        done(&o);
        outcomes[i] = Some(o);
    }
    Ok(outcomes.into_iter().flatten().collect())
}

/// The outcome of a scenario the harness could not run (its emulator or driver did not start).
fn not_run(scenario: &Scenario, e: &anyhow::Error) -> Outcome {
    Outcome {
        name: scenario.name.clone(),
        file: scenario.path.display().to_string(),
        verdict: Verdict::Failed(format!("could not run: {e:#}")),
        transcript: String::new(),
        duration: Duration::ZERO,
    }
}

/// Runs one scenario with a driver from `drivers`.
pub async fn run_with(
    scenario: &Scenario,
    emulator: &Emulator,
    drivers: &Drivers,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let (running, target) = match emulator {
        Emulator::Spawn => {
            let config = emulator::Config::default_config();
            let (r, t) = spawn(scenario, config, drivers.tls.as_deref()).await?;
            (Some(r), t)
        }
        Emulator::SpawnWith(config) => {
            let (r, t) = spawn(scenario, (**config).clone(), drivers.tls.as_deref()).await?;
            (Some(r), t)
        }
        Emulator::Url { cognito, idp } => {
            (None, remote(scenario, cognito, idp, drivers.trust()).await?)
        }
    };
    let mut target = target;
    let app = match crate::app_under_test::start(scenario, &mut target, drivers).await {
        Ok(app) => app,
        Err(e) => {
            if let Some(r) = running {
                r.stop().await;
            }
            return Err(e.context("starting the app under test"));
        }
    };
    let result = drive(scenario, target, drivers).await;
    if let Some(server) = app {
        server.stop().await;
    }
    if let Some(r) = running {
        r.stop().await;
    }
    let (transcript, failure, rejections, doctor) = result?;
    let verdict = match (failure, &scenario.expected_failure) {
        (None, None) => Verdict::Passed,
        (None, Some(_)) => Verdict::UnexpectedPass,
        (Some(f), None) => Verdict::Failed(with_doctor(f, &doctor)),
        (Some(f), Some(why)) => {
            let mut reason = format!("{why}\n  observed: {f}");
            for r in rejections {
                reason.push_str(&format!("\n  journal: {r}"));
            }
            Verdict::ExpectedFailure(reason)
        }
    };
    Ok(Outcome {
        name: scenario.name.clone(),
        file: scenario.path.display().to_string(),
        verdict,
        transcript,
        duration: started.elapsed(),
    })
}

async fn spawn(
    scenario: &Scenario,
    config: emulator::Config,
    tls: Option<&RunTls>,
) -> anyhow::Result<(emulator::Running, Target)> {
    let mut config = config.with_ephemeral_ports();
    config.seed = Some(scenario.seed);
    config.tls.enabled |= tls.is_some();
    if let Some(path) = scenario.lambda_path() {
        ensure!(path.is_file(), "no Lambda handler at {}", path.display());
        let pool = config
            .cognito
            .pools
            .first_mut()
            .context("the default config has no pool")?;
        pool.lambda.insert("PreSignUp".into(), LAMBDA_ARN.into());
        config
            .lambda_functions
            .insert(LAMBDA_ARN.into(), lambda_target(&path));
    }
    let clock = Arc::new(ManualClock::new(START_MILLIS));
    let options = emulator::Options {
        clock: clock.clone(),
        storage: emulator::Storage::Ephemeral,
        tls_authority: tls.and_then(|t| t.authority.clone()),
    };
    let running = emulator::start_with(config, options).await?;
    let target = Target {
        cognito_url: running.cognito_url.clone(),
        idp_url: running
            .idp_url
            .clone()
            .context("the default config has an IdP")?,
        clock: Some(clock),
        trust: tls.map(|t| t.trust.clone()),
        app_url: None,
    };
    Ok((running, target))
}

/// The trigger target running a scenario's handler file: Python for a `.py` file, Node.js
/// otherwise.
fn lambda_target(path: &std::path::Path) -> String {
    let runtime = match path.extension().and_then(|x| x.to_str()) {
        Some("py") => "python",
        _ => "node",
    };
    format!("{runtime}:{}", path.display())
}

async fn remote(
    scenario: &Scenario,
    cognito: &str,
    idp: &str,
    trust: Option<crate::driver::Trust>,
) -> anyhow::Result<Target> {
    if scenario.preconditions.pre_sign_up_lambda.is_some() {
        bail!("a scenario with a Lambda needs the emulator the harness starts (no --url)");
    }
    let resp = crate::driver::client_builder(trust.as_ref())
        .build()?
        .post(format!("{}/_emulator/reset", cognito.trim_end_matches('/')))
        .send()
        .await
        .with_context(|| format!("resetting the emulator at {cognito}"))?;
    ensure!(resp.status().is_success(), "reset: {}", resp.status());
    Ok(Target {
        cognito_url: cognito.trim_end_matches('/').to_owned(),
        idp_url: idp.trim_end_matches('/').to_owned(),
        clock: None,
        trust,
        app_url: None,
    })
}

type Driven = (
    String,
    Option<String>,
    Vec<String>,
    Vec<emulator::doctor::Finding>,
);

/// A failure's reason followed by what `emulator doctor` finds in the run's journal.
fn with_doctor(failure: String, findings: &[emulator::doctor::Finding]) -> String {
    let mut reason = failure;
    for f in findings {
        reason.push_str(&format!(
            "\n  doctor: [{}] {} ({})",
            f.id, f.title, f.location
        ));
    }
    reason
}

/// The preconditions, the steps and the expectations: the transcript, the first failure, the
/// reasons of the requests the emulator refused, and the doctor's findings in the journal.
async fn drive(scenario: &Scenario, target: Target, drivers: &Drivers) -> anyhow::Result<Driven> {
    let cognito_url = target.cognito_url.clone();
    let idp_url = target.idp_url.clone();
    let mut driver = drivers.driver(target, scenario)?;
    let r = drive_with(scenario, &mut driver, &cognito_url, &idp_url).await;
    // Closing saves nothing a scenario needs: bounded, and dropping kills what is left.
    let _ = tokio::time::timeout(STEP_TIMEOUT, driver.close()).await;
    r
}

async fn drive_with(
    scenario: &Scenario,
    driver: &mut Driver,
    cognito_url: &str,
    idp_url: &str,
) -> anyhow::Result<Driven> {
    let mut t = Transcript::new(scenario, cognito_url, idp_url);
    if let Some(app) = &driver.app_url() {
        t.name_origin(app, "http://app");
    }
    let mut seq = last_seq(&driver.app().cognito.journal_after(0).await?);
    // A precondition that fails (a trigger that cannot run, say) fails the scenario with its
    // reason; the run goes on to the next scenario and its summary.
    let pre = preconditions(scenario, driver)
        .await
        .err()
        .map(|e| format!("{e:#}"));
    let events = driver.app().cognito.journal_after(seq).await?;
    seq = last_seq(&events).max(seq);
    t.section("preconditions", &events, pre.as_deref());
    let mut failure = pre.map(|e| format!("preconditions: {e}"));
    let steps = if failure.is_some() {
        &[][..]
    } else {
        &scenario.steps[..]
    };
    for (i, step) in steps.iter().enumerate() {
        let r = match tokio::time::timeout(STEP_TIMEOUT, driver.step(step)).await {
            Ok(r) => r,
            Err(_) => Err(anyhow::anyhow!(
                "the step took longer than {STEP_TIMEOUT:?}"
            )),
        };
        let err = r.err().map(|e| format!("{e:#}"));
        // What a click on the app's page sets off (a redirect, the app's own calls) goes on
        // after the click returns: it is read with the next step, which waits for its outcome,
        // so the transcript does not depend on timing.
        let defer = step.sets_off_the_app() && err.is_none() && i + 1 < steps.len();
        let events = if defer {
            Vec::new()
        } else {
            driver.app().cognito.journal_after(seq).await?
        };
        seq = last_seq(&events).max(seq);
        t.section(
            &format!("{}. {}", i + 1, step.title()),
            &events,
            err.as_deref(),
        );
        if let Some(e) = err {
            failure = Some(format!("step {} ({}): {e}", i + 1, step.title()));
            break;
        }
    }
    if let Some(claims) = &driver.app().claims {
        t.claims(claims);
    }
    if failure.is_none() {
        let checks = expectations(scenario, driver).await;
        t.expectations(&checks);
        failure = checks
            .iter()
            .find_map(|(what, r)| r.as_ref().err().map(|e| format!("expected {what}: {e}")));
    }
    let rejections = driver
        .app()
        .cognito
        .journal("kind=rejected")
        .await?
        .iter()
        .map(crate::transcript::rejection)
        .collect();
    let doctor = match failure {
        Some(_) => emulator::doctor::journal::check(&driver.app().cognito.journal_after(0).await?),
        None => Vec::new(),
    };
    Ok((t.finish(), failure, rejections, doctor))
}

/// The pool's sign-in policy and the native users the scenario starts with.
async fn preconditions(scenario: &Scenario, driver: &Driver) -> anyhow::Result<()> {
    let cognito = &driver.app().cognito;
    if !scenario.preconditions.first_factors.is_empty() {
        cognito
            .allow_first_factors(&scenario.preconditions.first_factors)
            .await?;
    }
    for u in &scenario.preconditions.native_users {
        cognito.create_native_user(&u.email, &u.password).await?;
    }
    for f in &scenario.preconditions.faults {
        cognito.set_fault(f).await?;
    }
    Ok(())
}

fn last_seq(events: &[Value]) -> u64 {
    events.last().and_then(|e| e["seq"].as_u64()).unwrap_or(0)
}

type Check = (String, Result<String, String>);

async fn expectations(scenario: &Scenario, driver: &Driver) -> Vec<Check> {
    let e = &scenario.expect;
    let mut out = Vec::new();
    let claims = driver.app().claims.clone().unwrap_or_default();
    for (name, want) in &e.id_token {
        let got = claims.get(name).cloned().unwrap_or(Value::Null);
        let r = match want {
            toml::Value::String(w) if w.ends_with('*') => {
                let prefix = w.trim_end_matches('*');
                match got.as_str() {
                    Some(g) if g.starts_with(prefix) => Ok(format!("{prefix}...")),
                    _ => Err(format!("{got}")),
                }
            }
            w => {
                let w = serde_json::to_value(w).unwrap_or(Value::Null);
                if w == got {
                    Ok(w.to_string())
                } else {
                    Err(got.to_string())
                }
            }
        };
        out.push((format!("ID token {name} = {want}"), r));
    }
    if let Some(email) = &e.signed_in_as_native {
        let r = match driver.app().cognito.sub_of(email).await {
            Ok(sub) if claims.get("sub").and_then(Value::as_str) == Some(&sub) => {
                Ok("the native user's sub".to_owned())
            }
            Ok(_) => Err(format!("signed in as {}", claims["cognito:username"])),
            Err(err) => Err(format!("{err:#}")),
        };
        out.push((format!("signed in as the native user {email}"), r));
    }
    if let Some(n) = e.pool_users {
        let r = match driver.app().cognito.user_count().await {
            Ok(c) if c == n => Ok(c.to_string()),
            Ok(c) => Err(format!("{c} users")),
            Err(err) => Err(format!("{err:#}")),
        };
        out.push((format!("{n} users in the pool"), r));
    }
    for (name, n) in &e.events {
        let r = match driver.app().cognito.journal(&format!("name={name}")).await {
            Ok(v) if v.len() == *n => Ok(n.to_string()),
            Ok(v) => Err(format!("{} times", v.len())),
            Err(err) => Err(format!("{err:#}")),
        };
        out.push((format!("event {name} {n} times"), r));
    }
    out
}
