//! Every scenario in `scenarios/` against an emulator spawned in-process, through the http
//! driver and through the browser driver (Chromium over WebDriver): each verdict must be a
//! pass (or the documented failure), each transcript must match the snapshot committed under
//! `scenarios/snapshots/`, and the two drivers' transcripts must be the same text.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use harness::driver::DriverKind;
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
    let scenario = Scenario::load(&path).unwrap();
    let mut config = emulator::Config::default_config();
    let mapping = &mut config.cognito.pools[0].identity_providers[0].attribute_mapping;
    mapping.insert("email_verified".into(), "email_verified".into());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let changed = rt
        .block_on(runner::run(
            &scenario,
            &Emulator::SpawnWith(Box::new(config)),
            DriverKind::Http,
        ))
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

/// Needs `chromium` and `chromium-driver` (`.ci/run` installs them). Equal to the http
/// driver's transcript, which `scenarios` compares with the snapshot (this test writes no
/// `.snap.new` files of its own).
#[test]
fn scenarios_in_chromium_give_the_http_drivers_transcripts() {
    insta::glob!("../../scenarios", "*.toml", |path| {
        let browser = snapshot(&run(path, DriverKind::Browser));
        let http = snapshot(&run(path, DriverKind::Http));
        if browser != http {
            let diff = similar::TextDiff::from_lines(&http, &browser);
            panic!(
                "{}: the browser driver's transcript differs from the http driver's:\n{}",
                path.display(),
                diff.unified_diff().header("http", "browser")
            );
        }
    });
}
