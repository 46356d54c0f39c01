//! `harness run --driver browser` leaves no chromedriver or Chromium process behind: not when a
//! scenario fails, not when the run is interrupted (SIGINT) in the middle of a flow. Every
//! process the run starts inherits a marker in its environment; after the run, no live
//! process carries it, and the run's temporary directory (Chromium's profiles) is empty.
//! Needs `chromium` and `chromium-driver`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MARK: &str = "HARNESS_CLEANUP_TEST";

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The harness with the marker, and its temporary files (Chromium's profiles) in `tmp`.
fn spawn(args: &[&str], mark: &str, tmp: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .current_dir(workspace())
        .args(args)
        .env(MARK, mark)
        .env("TMPDIR", tmp)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Live (not zombie) processes whose environment has `MARK=mark`, with their names.
fn marked(mark: &str) -> Vec<(u32, String)> {
    let needle = format!("{MARK}={mark}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let dir = entry.path();
        let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
            continue;
        };
        // `pid (comm) state ...`: a zombie has exited and only waits to be reaped.
        let state = stat.rsplit_once(") ").map(|(_, rest)| &rest[..1]);
        if state == Some("Z") {
            continue;
        }
        let Ok(environ) = std::fs::read(dir.join("environ")) else {
            continue;
        };
        if environ.split(|b| *b == 0).any(|v| v == needle.as_bytes()) {
            let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            found.push((pid, comm.trim().to_owned()));
        }
    }
    found
}

/// Waits (a little) for processes to finish exiting, then lists what is left.
fn left_behind(mark: &str) -> Vec<(u32, String)> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let left = marked(mark);
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What the run left in its temporary directory (Chromium's profiles are removed).
fn leftover_files(tmp: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

fn mark() -> String {
    format!("{}-{}", std::process::id(), uuid::Uuid::new_v4())
}

#[test]
fn a_failing_scenario_leaves_no_browser_behind() {
    let dir = tempfile::tempdir().unwrap();
    let register = std::fs::read_to_string(workspace().join("scenarios/register.toml")).unwrap();
    // The same sign-up, expecting an error the app will not receive.
    let failing = register.replace(
        "do = \"expect_tokens\"",
        "do = \"expect_error\"\nerror = \"access_denied\"\ndescription = \"no\"",
    );
    let file = dir.path().join("failing.toml");
    std::fs::write(&file, failing).unwrap();
    let mark = mark();
    let tmp = tempfile::tempdir().unwrap();
    let child = spawn(
        &["run", file.to_str().unwrap(), "--driver", "browser"],
        &mark,
        tmp.path(),
    );
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("the app received a code, not error access_denied"),
        "{stdout}"
    );
    assert_eq!(left_behind(&mark), vec![]);
    assert_eq!(leftover_files(tmp.path()), Vec::<PathBuf>::new());
}

#[test]
fn an_interrupted_run_leaves_no_browser_behind() {
    let mark = mark();
    let tmp = tempfile::tempdir().unwrap();
    let mut child = spawn(
        &["run", "scenarios/qr-fallback.toml", "--driver", "browser"],
        &mark,
        tmp.path(),
    );
    // Mid-flow: once Chromium runs (the mark reaches it through chromedriver).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let running = marked(&mark);
        if running.iter().any(|(_, comm)| comm.starts_with("chrom")) {
            break;
        }
        assert!(Instant::now() < deadline, "Chromium never started");
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Into the flow (the scenario takes several seconds in Chromium).
    std::thread::sleep(Duration::from_millis(2000));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended before the interrupt"
    );
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("interrupted by SIGINT"), "{stderr}");
    assert_eq!(left_behind(&mark), vec![]);
    assert_eq!(leftover_files(tmp.path()), Vec::<PathBuf>::new());
}
