//! `harness run --driver browser` leaves no chromedriver or Chromium process behind: not when a
//! scenario fails, not when the run is interrupted (SIGINT) or killed (SIGKILL) in the middle
//! of a flow. Every
//! process the run starts inherits a marker in its environment; after the run, no live
//! process carries it, and the run's temporary directory (Chromium's profiles) is empty.
//! Needs `chromium` and `chromium-driver`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;
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

/// A live (not zombie) process: pid, name, process group, and whether its environment has
/// `MARK=mark`. (Chromium's child processes overwrite their environment with their title, so
/// they are found by process group.)
#[derive(Debug, Clone, PartialEq, Eq)]
struct Proc {
    pid: u32,
    comm: String,
    pgid: u32,
    marked: bool,
}

fn processes(mark: &str) -> Vec<Proc> {
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
        // `pid (comm) state ppid pgrp ...`; a zombie has exited and only waits to be reaped.
        let Some((head, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let fields: Vec<&str> = rest.split(' ').collect();
        if fields.first() == Some(&"Z") || fields.len() < 3 {
            continue;
        }
        let comm = head.split_once(" (").map_or("", |(_, c)| c).to_owned();
        let pgid = fields[2].parse().unwrap_or(0);
        let environ = std::fs::read(dir.join("environ")).unwrap_or_default();
        let marked = environ.split(|b| *b == 0).any(|v| v == needle.as_bytes());
        found.push(Proc {
            pid,
            comm,
            pgid,
            marked,
        });
    }
    found
}

/// The run's processes: marked ones and every member of a group a marked one leads.
#[derive(Debug, Default)]
struct Watch {
    groups: BTreeSet<u32>,
}

impl Watch {
    fn look(&mut self, mark: &str) -> Vec<Proc> {
        let all = processes(mark);
        self.groups.extend(
            all.iter()
                .filter(|p| p.marked && p.pid == p.pgid)
                .map(|p| p.pgid),
        );
        all.into_iter()
            .filter(|p| p.marked || self.groups.contains(&p.pgid))
            .collect()
    }

    /// Waits for the child to end, watching its processes meanwhile.
    fn wait(&mut self, mut child: Child, mark: &str) -> std::process::Output {
        while child.try_wait().unwrap().is_none() {
            self.look(mark);
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().unwrap()
    }

    /// Waits (a little) for processes to finish exiting, then lists what is left.
    fn left_behind(&mut self, mark: &str) -> Vec<Proc> {
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let left = self.look(mark);
            if left.is_empty() || Instant::now() > deadline {
                return left;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
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
    let mut watch = Watch::default();
    let out = watch.wait(child, &mark);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("the app received a code, not error access_denied"),
        "{stdout}"
    );
    assert!(!watch.groups.is_empty(), "no chromedriver was seen");
    assert_eq!(watch.left_behind(&mark), vec![]);
    assert_eq!(leftover_files(tmp.path()), Vec::<PathBuf>::new());
}

/// Starts the QR scenario and returns once Chromium has run for a while (mid-flow).
fn mid_flow(mark: &str, tmp: &Path, watch: &mut Watch) -> Child {
    let mut child = spawn(
        &["run", "scenarios/qr-fallback.toml", "--driver", "browser"],
        mark,
        tmp,
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while !watch.look(mark).iter().any(|p| p.comm == "chromium") {
        assert!(Instant::now() < deadline, "Chromium never started");
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Into the flow (the scenario takes several seconds in Chromium).
    for _ in 0..40 {
        watch.look(mark);
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended before the signal"
    );
    child
}

#[test]
fn an_interrupted_run_leaves_no_browser_behind() {
    let mark = mark();
    let tmp = tempfile::tempdir().unwrap();
    let mut watch = Watch::default();
    let child = mid_flow(&mark, tmp.path(), &mut watch);
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let out = watch.wait(child, &mark);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("interrupted by SIGINT"), "{stderr}");
    assert_eq!(watch.left_behind(&mark), vec![]);
    assert_eq!(leftover_files(tmp.path()), Vec::<PathBuf>::new());
}

/// Killed outright (as a test runner cancels a test), the harness runs no destructor: the
/// watchdog sees its end and kills chromedriver's group; the next run removes the profiles.
#[test]
fn a_killed_run_leaves_no_browser_behind() {
    let mark = mark();
    let tmp = tempfile::tempdir().unwrap();
    let mut watch = Watch::default();
    let mut child = mid_flow(&mark, tmp.path(), &mut watch);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(watch.left_behind(&mark), vec![]);
    assert_eq!(
        leftover_files(tmp.path()).len(),
        1,
        "the killed run's profiles"
    );
    let next = spawn(
        &["run", "scenarios/register.toml", "--driver", "browser"],
        &mark,
        tmp.path(),
    );
    let out = watch.wait(next, &mark);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(leftover_files(tmp.path()), Vec::<PathBuf>::new());
}
