//! The doctor's catalogue, reproduced (`scenarios/doctor/`): one scenario per mistake, each
//! starting from the default set-up with the mistake made (config edits, a mistaken Lambda,
//! a narrowed role), showing what a user sees and expecting exactly the doctor's findings.
//! Every scenario runs through the http driver and Chromium, several at a time, and its
//! transcript must equal the committed snapshot (`scenarios/doctor/snapshots/`, recorded with
//! `harness run --driver http --snapshots scenarios/doctor/snapshots --update-snapshots`).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use harness::driver::{DriverKind, Drivers};
use harness::runner::{self, Emulator};
use harness::scenario::Scenario;
use harness::snapshots::{self, Check};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/doctor")
}

fn scenarios() -> Vec<Scenario> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files.iter().map(|f| Scenario::load(f).unwrap()).collect()
}

/// Every mistake of the catalogue is what some scenario expects the doctor to find, and each
/// scenario is named after the mistake it reproduces.
#[test]
fn every_mistake_in_the_catalogue_is_reproduced_by_a_scenario() {
    let scenarios = scenarios();
    let mut expected = BTreeSet::new();
    for s in &scenarios {
        let ids = s
            .expect
            .doctor
            .as_ref()
            .expect("a doctor scenario expects findings");
        assert!(
            ids.contains(&s.name),
            "{} does not expect its own finding",
            s.name
        );
        expected.extend(ids.iter().cloned());
    }
    let catalogue: BTreeSet<String> = emulator::doctor::CATALOGUE
        .iter()
        .map(|m| m.id.to_owned())
        .collect();
    let missing: Vec<_> = catalogue.difference(&expected).collect();
    assert!(missing.is_empty(), "no scenario reproduces {missing:?}");
}

fn run_against_snapshots(driver: DriverKind, jobs: usize) {
    let scenarios = scenarios();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let outcomes = rt
        .block_on(async {
            let drivers = Drivers::start(driver).await?;
            runner::run_all(&scenarios, &Emulator::Spawn, drivers, jobs, |_| {}).await
        })
        .unwrap();
    let snaps = dir().join("snapshots");
    let mut failed = Vec::new();
    for o in &outcomes {
        if !o.verdict.ok() {
            failed.push(format!(
                "{} ({driver:?}): {:?}\n{}",
                o.name, o.verdict, o.transcript
            ));
            continue;
        }
        match snapshots::check(&snaps, o, false).unwrap() {
            Check::Same => {}
            other => failed.push(format!("{} ({driver:?}): {other:?}", o.name)),
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

#[test]
fn doctor_scenarios_over_http_match_their_snapshots() {
    run_against_snapshots(DriverKind::Http, 4);
}

#[test]
fn doctor_scenarios_in_chromium_match_their_snapshots() {
    run_against_snapshots(DriverKind::Browser, 2);
}

/// Undone, the mistake is gone from the diagnosis: each scenario whose mistake is only in the
/// config, run without its edits, finds nothing, and its doctor expectation fails the run
/// (a documented failure included).
#[test]
fn without_the_mistake_the_doctor_finds_nothing_and_the_expectation_fails() {
    let fixed: Vec<Scenario> = scenarios()
        .into_iter()
        .filter(|s| s.preconditions.pre_sign_up_lambda.is_none())
        .map(|mut s| {
            assert!(!s.preconditions.config_edits.is_empty(), "{}", s.name);
            s.preconditions.config_edits.clear();
            s
        })
        .collect();
    assert!(fixed.len() >= 8, "{}", fixed.len());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let outcomes = rt
        .block_on(async {
            let drivers = Drivers::start(DriverKind::Http).await?;
            runner::run_all(&fixed, &Emulator::Spawn, drivers, 4, |_| {}).await
        })
        .unwrap();
    for o in &outcomes {
        match &o.verdict {
            runner::Verdict::Failed(why) => assert!(
                why.starts_with(&format!(
                    "expected the doctor to find {}: got nothing",
                    o.name
                )),
                "{}: {why}",
                o.name
            ),
            other => panic!("{}: {other:?}\n{}", o.name, o.transcript),
        }
    }
}
