//! Every scenario in `scenarios/` through the http driver against an emulator spawned
//! in-process: its verdict must be a pass (or the documented failure), and its transcript
//! must match the snapshot committed under `scenarios/snapshots/`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use harness::runner::{self, Emulator};
use harness::scenario::Scenario;

#[test]
fn scenarios() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    insta::glob!("../../scenarios", "*.toml", |path| {
        let scenario = Scenario::load(path).unwrap();
        let outcome = rt
            .block_on(runner::run(&scenario, &Emulator::Spawn))
            .unwrap();
        assert!(
            outcome.verdict.ok(),
            "{}: {:?}\n{}",
            scenario.name,
            outcome.verdict,
            outcome.transcript
        );
        // A documented failure's report (with the journal's reasons) is part of the snapshot.
        let mut snapshot = outcome.transcript.clone();
        snapshot.push_str(&format!("\nverdict: {}\n", outcome.verdict.label()));
        if let runner::Verdict::ExpectedFailure(reason) = &outcome.verdict {
            assert!(reason.contains("\n  journal: "), "{reason}");
            snapshot.push_str(reason);
            snapshot.push('\n');
        }
        insta::with_settings!({
            snapshot_path => "../../scenarios/snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            snapshot_suffix => "",
        }, {
            let name = path.file_stem().unwrap().to_str().unwrap();
            insta::assert_snapshot!(name, snapshot);
        });
    });
}
