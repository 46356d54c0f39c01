//! `harness init` as a team uses it: in a fresh directory, the starter's own justfile records
//! the transcripts and then runs the scenarios green against them (http driver; the browser
//! recipe differs only in `--driver`), a changed flow fails with the diff, and a second `init`
//! refuses to overwrite. Needs `just` on PATH (`.ci/run` installs it).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

fn harness() -> Command {
    Command::new(env!("CARGO_BIN_EXE_harness"))
}

/// `just RECIPE` in `dir`, with this build's harness first on PATH.
fn just(dir: &Path, recipe: &str) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_harness")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("just")
        .arg(recipe)
        .current_dir(dir)
        .env("PATH", path)
        .output()
        .expect("just runs (install it: pip install rust-just, or cargo install just)")
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn the_starter_runs_green_in_a_fresh_directory_and_gates_on_its_transcripts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my-integration");
    let init = harness().arg("init").arg(&dir).output().unwrap();
    assert!(init.status.success(), "{}", text(&init));
    for f in [
        "emulator.toml",
        "scenarios/sign-up-and-sign-in.toml",
        "justfile",
        ".github/workflows/e2e.yml",
        ".gitlab-ci.yml",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing:\n{}", text(&init));
    }

    let record = just(&dir, "e2e-record");
    assert!(record.status.success(), "{}", text(&record));
    let snap = dir.join("scenarios/snapshots/sign-up-and-sign-in.snap");
    let recorded = std::fs::read_to_string(&snap).unwrap();
    assert!(recorded.contains("webauthn.registered"), "{recorded}");

    let run = just(&dir, "e2e-http");
    assert!(run.status.success(), "{}", text(&run));
    let junit = std::fs::read_to_string(dir.join("e2e-junit.xml")).unwrap();
    assert!(
        junit.contains("sign-up-and-sign-in") && junit.contains("failures=\"0\""),
        "{junit}"
    );

    // A flow that changes (here: the snapshot edited as if the IdP had answered otherwise)
    // fails the run with the diff.
    std::fs::write(
        &snap,
        recorded.replace("webauthn.registered", "webauthn.refused"),
    )
    .unwrap();
    let changed = just(&dir, "e2e-http");
    assert!(!changed.status.success());
    let out = text(&changed);
    assert!(
        out.contains("differs from its snapshot") && out.contains("+  idp"),
        "{out}"
    );

    let again = harness().arg("init").arg(&dir).output().unwrap();
    assert!(!again.status.success());
    assert!(text(&again).contains("not overwriting"), "{}", text(&again));
}

#[test]
fn init_starts_from_a_given_config_and_refuses_a_broken_one() {
    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("broken.toml");
    std::fs::write(&broken, "[cognito]\nbindd = 1\n").unwrap();
    let out = harness()
        .args(["init", "--config"])
        .arg(&broken)
        .arg(tmp.path().join("x"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("unknown field `bindd`"),
        "{}",
        text(&out)
    );
    assert!(!tmp.path().join("x").exists());
}
