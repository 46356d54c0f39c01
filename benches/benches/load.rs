//! Load and faults, as bench commands that print their figures (not timed tests):
//!
//! - `signins [N]`: N concurrent first federated sign-ins (OTP, passkey registration,
//!   PreSignUp, code exchange, JWKS check) through the http driver's code path, in process;
//!   errors (must be 0) and the latency percentiles.
//! - `signups [N]`: N concurrent SignUps with one email on a pool that signs users in by email;
//!   the accounts created (must be 1).
//! - `journal [N]`: N rejected requests of 1 MiB each; the journal's bytes and the process's
//!   resident memory before and after.
//! - `sigkill [ROUNDS]`: an emulator in a child process with a data directory, killed with
//!   SIGKILL during concurrent federated sign-ins and linkings, restarted; every acknowledged
//!   user, link and passkey must still be there (a returning sign-in with the passkey lands on
//!   the same user; a linked native user still holds the identity).
//! - `soak [SECONDS]`: a mixed load (sign-ins, ListUsers, AdminGetUser, AdminCreateUser,
//!   rejected 1 MiB requests); resident memory sampled as it runs.
//!
//! `cargo bench -p benches --bench load -- signins 200` (no argument: every command with its
//! default size; `soak` then runs 60 s, the documented figure is `soak 600`).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
#[allow(dead_code)]
#[path = "flows/federated.rs"]
mod federated;

use std::sync::Arc;
use std::time::{Duration, Instant};

use emulator::{Config, Options, Storage};
use federated::Federation;
use serde_json::json;

use crate::common::{CLIENT, PASSWORD, POOL};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if let Ok(dir) = std::env::var(CHILD_DIR) {
        return child(&dir);
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let n = |default: usize| args.get(1).and_then(|v| v.parse().ok()).unwrap_or(default);
    match args.first().map(String::as_str) {
        Some("signins") => rt.block_on(signins(n(200))),
        Some("signups") => rt.block_on(signups(n(1000))),
        Some("journal") => rt.block_on(journal(n(10_000))),
        Some("sigkill") => rt.block_on(sigkill(n(10))),
        Some("soak") => rt.block_on(soak(n(60) as u64)),
        Some(other) => panic!("unknown command {other}: signins|signups|journal|sigkill|soak"),
        None => rt.block_on(async {
            signins(200).await;
            signups(1000).await;
            journal(10_000).await;
            sigkill(10).await;
            soak(60).await;
        }),
    }
}

/// Resident memory of this process, MiB (anonymous, file-backed).
fn rss() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> f64 {
        let kb = status.lines().find(|l| l.starts_with(name));
        let kb = kb.and_then(|l| l.split_whitespace().nth(1)?.parse().ok());
        kb.unwrap_or(0.0) / 1024.0
    };
    (field("RssAnon:"), field("RssFile:"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

/// N concurrent first federated sign-ins on one emulator.
async fn signins(n: usize) {
    let fed = Arc::new(Federation::start().await);
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let fed = fed.clone();
        tasks.spawn(async move { fed.one_first().await });
    }
    let (mut times, mut errors) = (Vec::new(), Vec::new());
    while let Some(r) = tasks.join_next().await {
        match r.expect("task") {
            Ok(t) => times.push(t),
            Err(e) => errors.push(e),
        }
    }
    let wall = start.elapsed();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "signins: {n} concurrent first federated sign-ins in {:.2} s ({:.0}/s): {} errors; latency p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        wall.as_secs_f64(),
        times.len() as f64 / wall.as_secs_f64(),
        errors.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(times.last().copied().unwrap_or_default()),
    );
    for e in errors.iter().take(5) {
        println!("  error: {e}");
    }
    if let Ok(fed) = Arc::try_unwrap(fed) {
        fed.stop().await;
    }
}

/// N concurrent SignUps with one email; the accounts that exist after.
async fn signups(n: usize) {
    let running = emulator::start_with(
        Config::default_config().with_ephemeral_ports(),
        Options::default(),
    )
    .await
    .expect("start");
    let url = running.cognito_url.clone();
    let client = reqwest::Client::new();
    let email = "same@example.com";
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (client, url) = (client.clone(), url.clone());
        tasks.spawn(async move {
            let body = json!({"ClientId": CLIENT, "Username": email, "Password": PASSWORD});
            post(&client, &url, "SignUp", &body.to_string()).await.0
        });
    }
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    while let Some(r) = tasks.join_next().await {
        *statuses.entry(r.expect("task")).or_default() += 1;
    }
    let filter = format!("email = \"{email}\"");
    let body = json!({"UserPoolId": POOL, "Filter": filter}).to_string();
    let (_, listed) = post(&client, &url, "ListUsers", &body).await;
    let accounts = serde_json::from_str::<serde_json::Value>(&listed).expect("json")["Users"]
        .as_array()
        .map_or(0, Vec::len);
    println!(
        "signups: {n} concurrent SignUps of {email}: answers {statuses:?}; accounts with the email: {accounts} (duplicates: {})",
        accounts.saturating_sub(1)
    );
    running.stop().await;
}

/// One AWS JSON call: its status and body; status 0 when the server could not be reached
/// (the `sigkill` rounds kill it mid-request).
async fn post(client: &reqwest::Client, url: &str, op: &str, body: &str) -> (u16, String) {
    let target = format!("AWSCognitoIdentityProviderService.{op}");
    let sent = client
        .post(format!("{url}/"))
        .header("x-amz-target", target)
        .header("content-type", "application/x-amz-json-1.1")
        .body(body.to_owned())
        .send()
        .await;
    match sent {
        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
        Err(e) => (0, e.to_string()),
    }
}

/// A request of just under 1 MiB that the pool refuses (a filter nobody can parse).
fn rejected_body() -> String {
    let filter = "x".repeat((1 << 20) - 200);
    json!({"UserPoolId": POOL, "Filter": filter}).to_string()
}

/// N rejected 1 MiB requests; the journal's bytes and resident memory.
async fn journal(n: usize) {
    let running = emulator::start_with(
        Config::default_config().with_ephemeral_ports(),
        Options::default(),
    )
    .await
    .expect("start");
    let url = running.cognito_url.clone();
    let client = reqwest::Client::new();
    let body = Arc::new(rejected_body());
    let before = rss();
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..8 {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        tasks.spawn(async move {
            for _ in (w..n).step_by(8) {
                let (status, _) = post(&client, &url, "ListUsers", &body).await;
                assert_eq!(status, 400);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let after = rss();
    let journal = running.cognito.journal.bytes();
    println!(
        "journal: {n} rejected 1 MiB requests: journal {:.1} MiB; RSS {:.0} -> {:.0} MiB anonymous",
        journal as f64 / (1 << 20) as f64,
        before.0,
        after.0
    );
    running.stop().await;
}

const CHILD_DIR: &str = "LOAD_CHILD_DATA_DIR";
const CHILD_PORTS: &str = "LOAD_CHILD_PORTS";

/// The child process of `sigkill`: an emulator on the data directory and the given ports,
/// its URLs on stdout, until it is killed.
fn child(dir: &str) {
    let ports = std::env::var(CHILD_PORTS).expect("ports");
    let (c, i) = ports.split_once(',').expect("two ports");
    let addr = |p: &str| format!("127.0.0.1:{p}").parse().expect("addr");
    let mut config = Config::default_config().with_binds(Some(addr(c)), Some(addr(i)));
    let pool = config.cognito.pools.first_mut().expect("pool");
    pool.lambda
        .insert("PreSignUp".into(), "builtin:link_by_email".into());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let options = Options {
            storage: Storage::Dir(dir.into()),
            ..Options::default()
        };
        let running = emulator::start_with(config, options).await.expect("start");
        println!(
            "{} {}",
            running.cognito_url,
            running.idp_url.clone().expect("idp")
        );
        std::future::pending::<()>().await;
    });
}

#[path = "load/sigkill.rs"]
mod kill;
use kill::sigkill;

/// A mixed load for `secs` seconds, resident memory sampled every tenth of it.
async fn soak(secs: u64) {
    // A data directory, as a user runs it: the users it creates live in the file (mapped),
    // so the anonymous memory is the emulator's own (journal, caches, sessions).
    let dir = tempfile::tempdir().expect("dir");
    let options = Options {
        storage: Storage::Dir(dir.path().to_owned()),
        ..Options::default()
    };
    let fed = Arc::new(Federation::start_with(options).await);
    let url = fed.running().cognito_url.clone();
    let client = reqwest::Client::new();
    let body = Arc::new(rejected_body());
    let end = Instant::now() + Duration::from_secs(secs);
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..8u64 {
        let (fed, client, url, body) = (fed.clone(), client.clone(), url.clone(), body.clone());
        tasks.spawn(async move {
            let mut i = 0u64;
            while Instant::now() < end {
                i += 1;
                mixed(&fed, &client, &url, &body, w, i).await;
            }
            i
        });
    }
    let mut samples = Vec::new();
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_secs(secs.max(10) / 10)).await;
        samples.push(rss().0);
    }
    let mut requests = 0;
    while let Some(r) = tasks.join_next().await {
        requests += r.expect("task");
    }
    let journal = fed.running().cognito.journal.bytes();
    let fmt: Vec<String> = samples.iter().map(|s| format!("{s:.0}")).collect();
    println!(
        "soak: {secs} s of mixed load, {requests} operations; RSS MiB anonymous over time: [{}]; journal {:.1} MiB",
        fmt.join(", "),
        journal as f64 / (1 << 20) as f64
    );
}

/// One operation of the mix: a federated sign-in in 1 of 8, else API calls and rejections.
async fn mixed(
    fed: &Federation,
    client: &reqwest::Client,
    url: &str,
    rejected: &str,
    w: u64,
    i: u64,
) {
    match (w + i) % 8 {
        0 => {
            fed.one_first().await.expect("sign-in");
        }
        1 => {
            let body = json!({"UserPoolId": POOL, "Username": format!("soak-{w}-{i}@example.com"), "MessageAction": "SUPPRESS"});
            post(client, url, "AdminCreateUser", &body.to_string()).await;
        }
        2 => {
            post(client, url, "ListUsers", rejected).await;
        }
        k => {
            let filter = format!("email = \"soak-{w}-{}@example.com\"", i.saturating_sub(k));
            let body = json!({"UserPoolId": POOL, "Filter": filter});
            post(client, url, "ListUsers", &body.to_string()).await;
        }
    }
}
