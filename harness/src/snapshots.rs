//! Transcript snapshots for `harness run --snapshots DIR`: each scenario's transcript compared
//! with `DIR/<scenario file name>.snap` (plain text), so a team's CI fails when a flow changes;
//! `--update-snapshots` records them. A missing snapshot fails too (CI never records one by
//! itself).

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::runner::{Outcome, Verdict};

/// What a comparison found.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    Same,
    Recorded,
    /// The reason, with a line diff when there is a snapshot.
    Differs(String),
}

/// The snapshot file of a scenario file.
pub fn path_for(dir: &Path, scenario_file: &str) -> PathBuf {
    let stem = Path::new(scenario_file).file_stem().map_or_else(
        || scenario_file.to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    dir.join(format!("{stem}.snap"))
}

/// Compares (or with `update`, records) one outcome's transcript.
pub fn check(dir: &Path, outcome: &Outcome, update: bool) -> anyhow::Result<Check> {
    let path = path_for(dir, &outcome.file);
    let got = format!("{}\n", outcome.transcript.trim_end());
    if update {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::write(&path, &got).with_context(|| format!("writing {}", path.display()))?;
        return Ok(Check::Recorded);
    }
    let Ok(want) = std::fs::read_to_string(&path) else {
        return Ok(Check::Differs(format!(
            "no snapshot at {}: record it with --update-snapshots",
            path.display()
        )));
    };
    if want == got {
        return Ok(Check::Same);
    }
    let diff = similar::TextDiff::from_lines(&want, &got);
    let shown = diff
        .unified_diff()
        .context_radius(2)
        .header(&path.display().to_string(), "this run")
        .to_string();
    Ok(Check::Differs(format!(
        "the transcript differs from its snapshot:\n{shown}"
    )))
}

/// Checks every outcome that passed; one whose transcript differs fails with the diff.
pub fn apply(dir: &Path, outcomes: &mut [Outcome], update: bool) -> anyhow::Result<usize> {
    let mut recorded = 0;
    for o in outcomes.iter_mut().filter(|o| o.verdict.ok()) {
        match check(dir, o, update)? {
            Check::Same => {}
            Check::Recorded => recorded += 1,
            Check::Differs(why) => o.verdict = Verdict::Failed(why),
        }
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(transcript: &str) -> Outcome {
        Outcome {
            name: "s".into(),
            file: "scenarios/sign-up.toml".into(),
            verdict: Verdict::Passed,
            transcript: transcript.into(),
            duration: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn missing_then_recorded_then_same_then_differs() {
        let dir = tempfile::tempdir().unwrap();
        let snaps = dir.path().join("snapshots");
        let o = outcome("# s\n## 1. step\n  idp  flow_step\n");
        let missing = check(&snaps, &o, false).unwrap();
        assert!(matches!(missing, Check::Differs(ref w) if w.contains("--update-snapshots")));
        assert_eq!(check(&snaps, &o, true).unwrap(), Check::Recorded);
        assert!(snaps.join("sign-up.snap").exists());
        assert_eq!(check(&snaps, &o, false).unwrap(), Check::Same);
        let changed = outcome("# s\n## 1. step\n  idp  rejected\n");
        let Check::Differs(why) = check(&snaps, &changed, false).unwrap() else {
            panic!("a changed transcript must differ");
        };
        assert!(
            why.contains("-  idp  flow_step") && why.contains("+  idp  rejected"),
            "{why}"
        );
        let mut outcomes = vec![changed];
        assert_eq!(apply(&snaps, &mut outcomes, false).unwrap(), 0);
        assert!(!outcomes[0].verdict.ok());
    }
}
