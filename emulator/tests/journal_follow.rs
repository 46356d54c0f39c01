//! `emulator journal [--follow] [--flow ID]` against a running emulator: the journal as lines,
//! new events as they happen (the control plane's long poll), one flow alone; the binary
//! prints plain lines when its stdout is not a terminal.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::time::Duration;

use emulator::journal::tail::{self, Tail};
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

/// A `Write` that hands each complete line to a channel.
struct Lines {
    tx: mpsc::UnboundedSender<String>,
    buf: Vec<u8>,
}

impl std::io::Write for Lines {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        while let Some(i) = self.buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=i).collect();
            let _ = self
                .tx
                .send(String::from_utf8_lossy(&line).trim_end().to_owned());
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The next line containing `want` (bounded, so a broken follow fails instead of hanging).
async fn line_with(rx: &mut mpsc::UnboundedReceiver<String>, want: &str) -> String {
    let find = async {
        while let Some(l) = rx.recv().await {
            if l.contains(want) {
                return l;
            }
        }
        panic!("the journal ended before a line with {want}")
    };
    tokio::time::timeout(Duration::from_secs(30), find)
        .await
        .unwrap_or_else(|_| panic!("no line with {want}"))
}

fn tail(url: &str, follow: bool, flow: Option<String>) -> Tail {
    Tail {
        url: url.to_owned(),
        flow,
        follow,
        color: false,
        ca: None,
    }
}

async fn list_users(emu: &common::Emu, pool: &str) {
    let _ = emu.sdk.list_users().user_pool_id(pool).send().await;
}

#[tokio::test]
async fn follow_prints_new_events_as_they_happen() {
    let emu = common::start().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let t = tail(emu.url(), true, None);
    let task = tokio::spawn(async move {
        let mut out = Lines {
            tx,
            buf: Vec::new(),
        };
        tail::run(&t, &mut out).await
    });
    let started = line_with(&mut rx, "started").await;
    assert!(started.contains(" control admin "), "{started}");
    list_users(&emu, common::POOL).await;
    let call = line_with(&mut rx, "ListUsers").await;
    assert!(call.contains(" cognito api_call "), "{call}");
    list_users(&emu, "us-east-1_Nope").await;
    let refused = line_with(&mut rx, "ListUsers").await;
    assert!(
        refused.contains(" rejected ") && refused.contains("error=ResourceNotFoundException"),
        "{refused}"
    );
    assert!(
        !refused.contains('\x1b'),
        "no colour unless asked: {refused}"
    );
    task.abort();
}

#[tokio::test]
async fn one_flow_alone() {
    let emu = common::start().await;
    list_users(&emu, common::POOL).await;
    list_users(&emu, "us-east-1_Nope").await;
    let events: serde_json::Value =
        reqwest::get(format!("{}/_emulator/journal?kind=rejected", emu.url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let flow = events["events"][0]["flow"].as_str().unwrap().to_owned();
    let mut out = Vec::new();
    tail::run(&tail(emu.url(), false, Some(flow)), &mut out)
        .await
        .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains("rejected") && out.contains("ResourceNotFoundException"),
        "{out}"
    );
}

/// A long poll answers as soon as a matching event is recorded, and with nothing when none is.
#[tokio::test]
async fn the_journal_long_polls() {
    let emu = common::start().await;
    let last = emu
        .running
        .cognito
        .journal
        .query(&Default::default())
        .last()
        .unwrap()
        .seq;
    let url = format!("{}/_emulator/journal?after={last}&wait=30", emu.url());
    let poll = tokio::spawn(async move {
        reqwest::get(url)
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    });
    list_users(&emu, common::POOL).await;
    let v = tokio::time::timeout(Duration::from_secs(30), poll)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v["events"][0]["name"], "ListUsers", "{v}");
    let url = format!("{}/_emulator/journal?after=999999&wait=1", emu.url());
    let v: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert_eq!(v["events"], serde_json::json!([]));
}

/// The binary, as a user runs it: `emulator journal --follow --url ...` in a pipe.
#[tokio::test]
async fn the_command_follows_in_a_pipe() {
    let emu = common::start().await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_emulator"))
        .args(["journal", "--follow", "--url", emu.url()])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Ok(Some(l)) = lines.next_line().await {
            let _ = tx.send(l);
        }
    });
    line_with(&mut rx, "started").await;
    list_users(&emu, common::POOL).await;
    let call = line_with(&mut rx, "ListUsers").await;
    assert!(
        call.contains("api_call") && !call.contains('\x1b'),
        "{call}"
    );
    child.kill().await.unwrap();
    reader.abort();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_emulator"))
        .args(["journal", "--url", "http://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is the emulator running?"), "{err}");
}

/// An emulator in HTTPS mode is read with its CA (`--ca`), and refused without it.
#[tokio::test]
async fn an_https_emulator_is_read_with_its_ca() {
    let mut config = emulator::Config::default_config();
    config.tls.enabled = true;
    let emu = common::start_with(config).await;
    assert!(emu.url().starts_with("https://"), "{}", emu.url());
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, emu.running.tls.as_ref().unwrap().cert_pem()).unwrap();

    let mut trusted = tail(emu.url(), false, None);
    trusted.ca = Some(ca);
    let mut out = Vec::new();
    emulator::journal::tail::run(&trusted, &mut out)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("control admin") && text.contains("started"),
        "{text}"
    );

    let refused =
        emulator::journal::tail::run(&tail(emu.url(), false, None), &mut Vec::new()).await;
    let why = format!("{:#}", refused.unwrap_err());
    assert!(
        why.contains("certificate") || why.contains("error sending request"),
        "{why}"
    );
}
