//! Scenarios that drive an app under test (`scenarios/app/`): the fixture single-page app in
//! Chromium over HTTPS, its transcript compared with the snapshot committed under
//! `scenarios/app/snapshots/`; through the http driver, refused by reason. Needs Node.js with
//! `npm ci --prefix fixtures/clients` (the app is bundled from npm), Chromium and chromedriver.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use harness::driver::{DriverKind, Drivers, RunTls};
use harness::runner::{self, Emulator, Verdict};
use harness::scenario::Scenario;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn bundle_the_app() {
    let dir = root().join("fixtures/clients");
    let bundled = std::process::Command::new("npm")
        .args(["run", "--silent", "bundle:app"])
        .current_dir(&dir)
        .status()
        .expect("npm runs");
    assert!(
        bundled.success(),
        "npm run bundle:app failed (run `just setup` first)"
    );
}

fn app_scenarios() -> Vec<Scenario> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios/app"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files.iter().map(|f| Scenario::load(f).unwrap()).collect()
}

fn run(scenarios: &[Scenario], driver: DriverKind, tls: Option<RunTls>) -> Vec<runner::Outcome> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let drivers = Drivers::start_with(driver, tls).await?;
        runner::run_all(scenarios, &Emulator::Spawn, drivers, 1, |_| {}).await
    })
    .unwrap()
}

#[test]
fn app_scenarios_in_chromium_match_their_snapshots() {
    bundle_the_app();
    let scenarios = app_scenarios();
    assert!(!scenarios.is_empty());
    let outcomes = run(
        &scenarios,
        DriverKind::Browser,
        Some(RunTls::new_ca().unwrap()),
    );
    for (s, o) in scenarios.iter().zip(&outcomes) {
        assert_eq!(o.verdict, Verdict::Passed, "{}:\n{}", s.name, o.transcript);
        let name = s.path.file_stem().unwrap().to_str().unwrap().to_owned();
        insta::with_settings!({
            snapshot_path => "../../scenarios/app/snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            snapshot_suffix => "",
        }, {
            insta::assert_snapshot!(name, o.transcript);
        });
    }
}

#[test]
fn app_steps_need_a_browser_and_amplify_needs_https() {
    let scenarios = app_scenarios();
    let over_http = run(
        &scenarios,
        DriverKind::Http,
        Some(RunTls::new_ca().unwrap()),
    );
    for o in &over_http {
        let Verdict::Failed(why) = &o.verdict else {
            panic!("{}: {:?}", o.name, o.verdict);
        };
        assert!(
            why.contains("only a browser runs: use --driver browser"),
            "{why}"
        );
    }
    let plain = run(&scenarios, DriverKind::Http, None);
    for o in &plain {
        let Verdict::Failed(why) = &o.verdict else {
            panic!("{}: {:?}", o.name, o.verdict);
        };
        assert!(why.contains("run with --tls"), "{why}");
    }
}
