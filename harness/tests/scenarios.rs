//! Every scenario in `scenarios/` against an emulator spawned in-process, through the http
//! driver and through the browser driver (Chromium over WebDriver): each verdict must be a
//! pass (or the documented failure), each transcript must match the snapshot committed under
//! `scenarios/snapshots/`, and the two drivers' transcripts must be the same text.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use harness::driver::{DriverKind, Drivers, RunTls};
use harness::runner::{self, Emulator, Outcome};
use harness::scenario::Scenario;

fn run(path: &Path, driver: DriverKind) -> Outcome {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let scenario = Scenario::load(path).unwrap();
    let outcome = rt
        .block_on(runner::run(&scenario, &Emulator::Spawn, driver))
        .unwrap();
    assert!(
        outcome.verdict.ok(),
        "{} ({driver:?}): {:?}\n{}",
        scenario.name,
        outcome.verdict,
        outcome.transcript
    );
    outcome
}

/// The transcript, the verdict and a documented failure's report (with the journal's reasons).
fn snapshot(outcome: &Outcome) -> String {
    let mut snapshot = outcome.transcript.clone();
    snapshot.push_str(&format!("\nverdict: {}\n", outcome.verdict.label()));
    if let runner::Verdict::ExpectedFailure(reason) = &outcome.verdict {
        assert!(reason.contains("\n  journal: "), "{reason}");
        snapshot.push_str(reason);
        snapshot.push('\n');
    }
    snapshot
}

fn assert_snapshot(path: &Path, snapshot: &str) {
    insta::with_settings!({
        snapshot_path => "../../scenarios/snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
        snapshot_suffix => "",
    }, {
        let name = path.file_stem().unwrap().to_str().unwrap();
        insta::assert_snapshot!(name, snapshot);
    });
}

#[test]
fn scenarios() {
    insta::glob!("../../scenarios", "*.toml", |path| {
        let outcome = run(path, DriverKind::Http);
        assert_snapshot(path, &snapshot(&outcome));
    });
}

/// A claim mapped differently in the config (here `email_verified` from the IdP's claim)
/// changes the transcript in that claim's line and nowhere else: what a snapshot diff shows.
#[test]
fn a_changed_claim_mapping_shows_as_one_changed_line() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/register.toml");
    let mut scenario = Scenario::load(&path).unwrap();
    scenario
        .preconditions
        .config_edits
        .push(harness::scenario::ConfigEdit {
            at: "/cognito/pools/0/identity_providers/0/attribute_mapping/email_verified".into(),
            set: Some(toml::Value::String("email_verified".into())),
            remove: false,
        });
    let rt = tokio::runtime::Runtime::new().unwrap();
    let changed = rt
        .block_on(runner::run(&scenario, &Emulator::Spawn, DriverKind::Http))
        .unwrap();
    let default = run(&path, DriverKind::Http);
    let diff = similar::TextDiff::from_lines(&default.transcript, &changed.transcript);
    let changes: Vec<String> = diff
        .iter_all_changes()
        .filter(|c| c.tag() != similar::ChangeTag::Equal)
        .map(|c| format!("{}{}", c.tag(), c.value()))
        .collect();
    assert_eq!(
        changes,
        ["-  email_verified = false\n", "+  email_verified = true\n"]
    );
}

/// Every scenario file, in name order.
fn all_scenarios() -> Vec<Scenario> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files.iter().map(|f| Scenario::load(f).unwrap()).collect()
}

/// The committed snapshot of a scenario: the http driver's transcript of a serial run (the
/// `scenarios` test keeps it so), without insta's header.
fn committed(scenario: &Scenario) -> String {
    let name = scenario.path.file_stem().unwrap().to_str().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/snapshots");
    let text = std::fs::read_to_string(dir.join(format!("{name}.snap"))).unwrap();
    let body = text.splitn(3, "---\n").nth(2).unwrap();
    body.trim_end().to_owned()
}

/// The linking scenarios with their Lambda in Python (boto3) give the Node.js transcripts
/// (AWS SDKs for JavaScript), but for the scenario's name and description: the same console
/// output, API calls in the same flows, the same errors. Compares the committed snapshots,
/// which `scenarios` checks against runs.
#[test]
fn python_lambdas_give_the_node_lambdas_transcripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let pairs = [
        ("link-corrected", "link-corrected-python"),
        (
            "link-guide-documents-failure",
            "link-guide-python-documents-failure",
        ),
    ];
    for (node, python) in pairs {
        let [node, python] = [(node, "js"), (python, "py")].map(|(name, ext)| {
            let scenario = Scenario::load(&dir.join(format!("{name}.toml"))).unwrap();
            let lambda = scenario.lambda_path().unwrap();
            assert_eq!(lambda.extension().unwrap(), ext, "{name}");
            let heading = format!("# {}\n{}\n", scenario.name, scenario.description);
            let transcript = committed(&scenario);
            assert!(transcript.starts_with(&heading), "{name}: {transcript}");
            transcript.replacen(&heading, "# <scenario>\n", 1)
        });
        if python != node {
            let diff = similar::TextDiff::from_lines(node.as_str(), python.as_str());
            panic!("{}", diff.unified_diff().header("node", "python"));
        }
    }
}

/// Runs every scenario `jobs` at a time and compares each transcript with the serial one.
fn run_all_as_committed(driver: DriverKind, jobs: usize) {
    run_all_as_committed_over(driver, jobs, None);
}

/// As `run_all_as_committed`, over HTTPS when `tls` is given.
fn run_all_as_committed_over(driver: DriverKind, jobs: usize, tls: Option<RunTls>) {
    let scenarios = all_scenarios();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let outcomes = rt
        .block_on(async {
            let drivers = Drivers::start_with(driver, tls).await?;
            runner::run_all(&scenarios, &Emulator::Spawn, drivers, jobs, |_| {}).await
        })
        .unwrap();
    assert_eq!(outcomes.len(), scenarios.len());
    for (s, o) in scenarios.iter().zip(&outcomes) {
        assert_eq!(o.name, s.name, "outcomes come back in the scenarios' order");
        assert!(
            o.verdict.ok(),
            "{} ({driver:?}, -j {jobs}): {:?}\n{}",
            s.name,
            o.verdict,
            o.transcript
        );
        let (got, want) = (snapshot(o), committed(s));
        if got.trim_end() != want {
            let diff = similar::TextDiff::from_lines(want.as_str(), got.trim_end());
            panic!(
                "{} ({driver:?}, -j {jobs}): the transcript differs from the serial http run's:\n{}",
                s.name,
                diff.unified_diff().header("serial http", "this run")
            );
        }
    }
}

/// Scenarios run concurrently, each with its own emulator, give the transcripts of a serial
/// run.
#[test]
fn a_parallel_run_gives_the_serial_transcripts() {
    run_all_as_committed(DriverKind::Http, 4);
}

/// Needs `chromium` and `chromium-driver` (`.ci/run` installs them). Every scenario through
/// Chromium, one at a time and then two at a time on one chromedriver, gives the http
/// driver's serial transcript, which `scenarios` compares with the snapshot (this test writes
/// no `.snap.new` files of its own).
#[test]
fn scenarios_in_chromium_give_the_http_drivers_transcripts() {
    run_all_as_committed(DriverKind::Browser, 1);
    run_all_as_committed(DriverKind::Browser, 2);
}

/// HTTPS mode: every scenario with emulators serving HTTPS under one CA for the run, through
/// the http driver (trusting only that CA) and through Chromium (trusting it by its key),
/// gives the same transcripts as over plain HTTP.
#[test]
fn scenarios_over_https_give_the_same_transcripts() {
    run_all_as_committed_over(DriverKind::Http, 4, Some(RunTls::new_ca().unwrap()));
    run_all_as_committed_over(DriverKind::Browser, 2, Some(RunTls::new_ca().unwrap()));
}
