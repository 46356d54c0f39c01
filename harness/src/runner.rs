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

/// Where to run: a fresh emulator per scenario (with the default config, or another config
/// document: `setup::load_document`), or a running one (reset before each).
#[derive(Debug, Clone)]
pub enum Emulator {
    Spawn,
    SpawnWith(Box<toml::Value>),
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
    let config = match emulator {
        Emulator::Spawn => Some(crate::setup::config_for(
            scenario,
            &crate::setup::default_document(),
        )?),
        Emulator::SpawnWith(doc) => Some(crate::setup::config_for(scenario, doc)?),
        Emulator::Url { .. } => None,
    };
    // What the doctor finds in the set-up itself: the config and the handler files it names.
    let found = config
        .as_ref()
        .map(|c| emulator::doctor::static_checks(c, None))
        .unwrap_or_default();
    let (running, target) = match (emulator, config) {
        (Emulator::Url { cognito, idp }, _) => {
            (None, remote(scenario, cognito, idp, drivers.trust()).await?)
        }
        (_, config) => {
            let config = config.context("a spawned emulator has a config")?;
            match spawn(scenario, config, drivers.tls.as_deref()).await {
                Ok((r, t)) => (Some(r), t),
                // The emulator refuses the config (a trigger it cannot run, a setting Cognito
                // refuses): the scenario's first and last step.
                Err(e) => match e.downcast_ref::<emulator::server::ConfigRefused>() {
                    Some(why) => return Ok(refused(scenario, &why.0, &found, started)),
                    None => return Err(e),
                },
            }
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
    let result = drive(scenario, target, drivers, &found).await;
    if let Some(server) = app {
        server.stop().await;
    }
    if let Some(r) = running {
        r.stop().await;
    }
    let d = result?;
    let verdict = verdict(
        scenario,
        d.failure,
        d.misdiagnosed,
        &d.rejections,
        &d.doctor,
    );
    Ok(Outcome {
        name: scenario.name.clone(),
        file: scenario.path.display().to_string(),
        verdict,
        transcript: d.transcript,
        duration: started.elapsed(),
    })
}

/// The verdict: a doctor expectation that does not hold fails the scenario whatever else
/// happened; otherwise the steps and expectations decide, for a scenario documenting a
/// failure too.
fn verdict(
    scenario: &Scenario,
    failure: Option<String>,
    misdiagnosed: Option<String>,
    rejections: &[String],
    doctor: &[emulator::doctor::Finding],
) -> Verdict {
    if let Some(m) = misdiagnosed {
        let also = failure.map_or(String::new(), |f| format!("\n  observed: {f}"));
        return Verdict::Failed(with_doctor(format!("expected {m}{also}"), doctor));
    }
    match (failure, &scenario.expected_failure) {
        (None, None) => Verdict::Passed,
        (None, Some(_)) => Verdict::UnexpectedPass,
        (Some(f), None) => Verdict::Failed(with_doctor(f, doctor)),
        (Some(f), Some(why)) => {
            let mut reason = format!("{why}\n  observed: {f}");
            for r in rejections {
                reason.push_str(&format!("\n  journal: {r}"));
            }
            Verdict::ExpectedFailure(reason)
        }
    }
}

/// The outcome of a scenario whose emulator refused its config: the reason in place of the
/// steps, and the doctor's expectation checked against the set-up.
fn refused(
    scenario: &Scenario,
    why: &str,
    found: &[emulator::doctor::Finding],
    started: Instant,
) -> Outcome {
    let mut t = Transcript::new(scenario, "http://cognito", "http://idp");
    let failure = format!("the emulator refuses the config: {why}");
    t.section("preconditions", &[], Some(&failure));
    let check = scenario.expect.doctor.as_ref().map(|w| diagnosis(w, found));
    t.expectations(check.as_slice());
    let misdiagnosed = check.as_ref().and_then(misdiagnosis);
    let verdict = verdict(scenario, Some(failure), misdiagnosed, &[], found);
    Outcome {
        name: scenario.name.clone(),
        file: scenario.path.display().to_string(),
        verdict,
        transcript: t.finish(),
        duration: started.elapsed(),
    }
}

/// The doctor's expectation: exactly these finding ids (in any order) in `found`.
fn diagnosis(want: &[String], found: &[emulator::doctor::Finding]) -> Check {
    let got: std::collections::BTreeSet<&str> = found.iter().map(|f| f.id).collect();
    let wanted: std::collections::BTreeSet<&str> = want.iter().map(String::as_str).collect();
    let what = format!("the doctor to find {}", join_or_none(&wanted));
    match got == wanted {
        true => (what, Ok(join_or_none(&got))),
        false => (what, Err(join_or_none(&got))),
    }
}

/// A doctor expectation that did not hold, as the verdict says it.
fn misdiagnosis((what, r): &Check) -> Option<String> {
    r.as_ref().err().map(|got| format!("{what}: got {got}"))
}

fn join_or_none(ids: &std::collections::BTreeSet<&str>) -> String {
    match ids.is_empty() {
        true => "nothing".to_owned(),
        false => ids.iter().copied().collect::<Vec<_>>().join(", "),
    }
}

async fn spawn(
    scenario: &Scenario,
    config: emulator::Config,
    tls: Option<&RunTls>,
) -> anyhow::Result<(emulator::Running, Target)> {
    let mut config = config.with_ephemeral_ports();
    config.seed = Some(scenario.seed);
    config.tls.enabled |= tls.is_some();
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

async fn remote(
    scenario: &Scenario,
    cognito: &str,
    idp: &str,
    trust: Option<crate::driver::Trust>,
) -> anyhow::Result<Target> {
    let p = &scenario.preconditions;
    if p.pre_sign_up_lambda.is_some() || !p.config_edits.is_empty() {
        bail!(
            "a scenario with a Lambda or config edits needs the emulator the harness starts (no --url)"
        );
    }
    // The doctor reads the set-up from the config the harness starts the emulator with.
    if scenario.expect.doctor.is_some() {
        bail!(
            "a scenario expecting the doctor's findings needs the emulator the harness starts (no --url)"
        );
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

/// What driving a scenario gave.
struct Driven {
    transcript: String,
    /// The first step or expectation that failed.
    failure: Option<String>,
    /// The doctor's expectation, when it did not hold.
    misdiagnosed: Option<String>,
    /// The reasons of the requests the emulator refused.
    rejections: Vec<String>,
    /// What the doctor finds: in the set-up, then in the run's journal.
    doctor: Vec<emulator::doctor::Finding>,
}

/// A failure's reason followed by what `emulator doctor` finds in the set-up and the run.
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

/// The preconditions, the steps and the expectations; `found`: what the doctor found in the
/// set-up.
async fn drive(
    scenario: &Scenario,
    target: Target,
    drivers: &Drivers,
    found: &[emulator::doctor::Finding],
) -> anyhow::Result<Driven> {
    let cognito_url = target.cognito_url.clone();
    let idp_url = target.idp_url.clone();
    let mut driver = drivers.driver(target, scenario)?;
    let r = drive_with(scenario, &mut driver, &cognito_url, &idp_url, found).await;
    // Closing saves nothing a scenario needs: bounded, and dropping kills what is left.
    let _ = tokio::time::timeout(STEP_TIMEOUT, driver.close()).await;
    r
}

async fn drive_with(
    scenario: &Scenario,
    driver: &mut Driver,
    cognito_url: &str,
    idp_url: &str,
    found: &[emulator::doctor::Finding],
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
    let mut doctor = found.to_vec();
    doctor.extend(emulator::doctor::journal::check(
        &driver.app().cognito.journal_after(0).await?,
    ));
    doctor.sort_by_key(|f| emulator::doctor::rank(f.id));
    let diagnosis = scenario
        .expect
        .doctor
        .as_ref()
        .map(|w| diagnosis(w, &doctor));
    let misdiagnosed = diagnosis.as_ref().and_then(misdiagnosis);
    let mut checks = Vec::new();
    if failure.is_none() {
        checks = expectations(scenario, driver).await;
        failure = checks
            .iter()
            .find_map(|(what, r)| r.as_ref().err().map(|e| format!("expected {what}: {e}")));
    }
    checks.extend(diagnosis);
    t.expectations(&checks);
    let rejections = driver
        .app()
        .cognito
        .journal("kind=rejected")
        .await?
        .iter()
        .map(crate::transcript::rejection)
        .collect();
    Ok(Driven {
        transcript: t.finish(),
        failure,
        misdiagnosed,
        rejections,
        doctor,
    })
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
