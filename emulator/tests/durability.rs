//! State survives restarts and SIGKILL: every acknowledged write is on disk.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{POOL, attr, sdk};

/// The emulator binary on a free port with a data directory; returns the child and its URL.
fn spawn(dir: &std::path::Path) -> (Child, String) {
    spawn_with(dir, &[])
}

fn spawn_with(dir: &std::path::Path, extra: &[&str]) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_emulator"))
        .args([
            "--data-dir",
            dir.to_str().unwrap(),
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--idp-bind",
            "127.0.0.1:0",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("Cognito user pool API"), "{line}");
    (child, format!("http://localhost:{port}"))
}

/// Kills the child when dropped, so a failing test leaves no process behind.
struct Guard(Child);
impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn acknowledged_writes_survive_sigkill_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (child, url) = spawn(dir.path());
    let mut guard = Guard(child);
    let client = sdk(&url);
    // The kill comes when the writer has 50 acknowledged writes (a signal, not a sleep).
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let writer = tokio::spawn(async move {
        let mut acked = Vec::new();
        let mut tx = Some(tx);
        for i in 0..10_000 {
            let email = format!("w{i}@example.com");
            let r = client
                .admin_create_user()
                .user_pool_id(POOL)
                .username(&email)
                .user_attributes(attr("email", &email))
                .send()
                .await;
            match r {
                Ok(_) => acked.push(email),
                Err(_) => break,
            }
            if acked.len() == 50 {
                tx.take().map(|tx| tx.send(()));
            }
        }
        acked
    });
    rx.await.unwrap();
    guard.0.kill().unwrap(); // SIGKILL on Unix, while the writer goes on writing
    guard.0.wait().unwrap();
    let acked = writer.await.unwrap();
    assert!(
        acked.len() >= 50,
        "acknowledged before the kill: {}",
        acked.len()
    );

    let (child, url) = spawn(dir.path());
    let _guard = Guard(child);
    let client = sdk(&url);
    for email in &acked {
        let filter = format!("email = \"{email}\"");
        let out = client
            .list_users()
            .user_pool_id(POOL)
            .filter(filter)
            .send()
            .await
            .unwrap();
        assert_eq!(
            out.users().len(),
            1,
            "acknowledged write of {email} was lost"
        );
    }
    let d = client
        .describe_user_pool()
        .user_pool_id(POOL)
        .send()
        .await
        .unwrap();
    assert!(d.user_pool().unwrap().estimated_number_of_users() >= acked.len() as i32);
}

/// A restart of a durable data directory never replays the random stream: with the default
/// config (OS randomness) or a fixed seed, users created after a restart get fresh `sub`s.
#[tokio::test]
async fn users_created_after_a_restart_are_new_users() {
    for extra in [&[][..], &["--seed", "20261123"][..]] {
        let dir = tempfile::tempdir().unwrap();
        let mut subs = Vec::new();
        for round in 0..3 {
            let (child, url) = spawn_with(dir.path(), extra);
            let _guard = Guard(child);
            let client = sdk(&url);
            for i in 0..2 {
                let email = format!("r{round}-{i}@example.com");
                let out = client
                    .admin_create_user()
                    .user_pool_id(POOL)
                    .username(&email)
                    .user_attributes(attr("email", &email))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{extra:?} round {round}: {email}: {e:?}"));
                let user = out.user.unwrap();
                let sub = user.attributes().iter().find(|a| a.name() == "sub");
                subs.push(sub.unwrap().value().unwrap().to_owned());
            }
        }
        let unique: std::collections::HashSet<_> = subs.iter().collect();
        assert_eq!(unique.len(), subs.len(), "{extra:?}: {subs:?}");
    }
}

/// A data directory belongs to one emulator: a second one started on it stops at once with
/// the reason, and the first goes on serving.
#[tokio::test]
async fn a_second_emulator_on_the_same_data_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (child, url) = spawn(dir.path());
    let _first = Guard(child);
    let second = Command::new(env!("CARGO_BIN_EXE_emulator"))
        .args(["--data-dir", dir.path().to_str().unwrap()])
        .args(["--bind", "127.0.0.1:0", "--idp-bind", "127.0.0.1:0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "{stderr}");
    assert!(stderr.contains("is in use by another emulator"), "{stderr}");
    let health = reqwest::get(format!("{url}/_emulator/health"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

/// With `journal_persist = true`, a flow recorded before a restart (here, one killed with
/// SIGKILL) can be read from the journal after it; a reset clears it on disk too.
#[tokio::test]
async fn a_persisted_journal_is_read_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("emulator.toml");
    let default = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/emulator.toml"
    ))
    .unwrap();
    std::fs::write(&config, format!("journal_persist = true\n{default}")).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let args = ["--config", config.to_str().unwrap()];
    let (child, url) = spawn_with(&data, &args);
    let mut guard = Guard(child);
    let created = sdk(&url)
        .admin_create_user()
        .user_pool_id(POOL)
        .username("kept@example.com")
        .user_attributes(attr("email", "kept@example.com"))
        .send()
        .await;
    assert!(created.is_ok(), "{created:?}");
    guard.0.kill().unwrap();
    guard.0.wait().unwrap();

    let (child, url) = spawn_with(&data, &args);
    let _guard = Guard(child);
    let journal = |q: &'static str| {
        let url = url.clone();
        async move {
            let v: serde_json::Value = reqwest::get(format!("{url}/_emulator/journal?{q}"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["events"].as_array().cloned().unwrap_or_default()
        }
    };
    let before = journal("name=AdminCreateUser").await;
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(
        before[0]["detail"]["request"]["Username"],
        "kept@example.com"
    );
    // Sequence numbers go on from the kept events: two starts, each journaled once.
    assert_eq!(journal("name=started").await.len(), 2);
    let reset = reqwest::Client::new()
        .post(format!("{url}/_emulator/reset"))
        .send()
        .await
        .unwrap();
    assert!(reset.status().is_success());
    assert!(journal("name=AdminCreateUser").await.is_empty());
}
