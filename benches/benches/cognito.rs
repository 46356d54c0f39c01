//! The Cognito API over HTTP at growing pool sizes: ListUsers by email and AdminCreateUser,
//! each beside the HTTP floor (the control plane's health check) measured in the same run.
//!
//! Sizes come from `COGNITO_BENCH_SIZES` (default `1000,100000`; add `1000000` for the full
//! figure). Pools are filled through the store (an HTTP fill of 1M users would take minutes)
//! and then served by the real server. The bench also prints the start-up time on the filled
//! data directory and the process's resident memory.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use emulator::store::{Store, UserRow};
use emulator::{Config, Options, Storage};

const POOL: &str = "us-east-1_Mosaic001";

fn sizes() -> Vec<usize> {
    std::env::var("COGNITO_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// Fill `dir` with `n` users of the default pool (created by a first start).
fn fill(rt: &tokio::runtime::Runtime, dir: &std::path::Path, n: usize) {
    let running = rt.block_on(emulator::start_with(
        Config::default_config().with_ephemeral_ports(),
        Options {
            storage: Storage::Dir(dir.to_owned()),
            ..Options::default()
        },
    ));
    rt.block_on(running.expect("start").stop());
    let store = Store::open(dir).expect("store");
    for i in 0..n {
        let sub = format!("00000000-0000-4000-8000-{i:012}");
        let email = format!("user{i}@example.com");
        let row = UserRow {
            id: 0,
            pool_id: POOL.into(),
            username: sub.clone(),
            username_key: sub.clone(),
            sub: sub.clone(),
            status: "CONFIRMED".into(),
            enabled: true,
            created: 0,
            modified: 0,
            attributes: vec![
                ("sub".into(), sub),
                ("email".into(), email),
                ("email_verified".into(), "true".into()),
            ],
            doc: serde_json::Value::Null,
        };
        store.insert_user(row).expect("insert");
    }
}

/// Resident memory of this process: (anonymous, file-backed) MiB. File-backed pages are the
/// database's memory map: clean, shared with the page cache, reclaimable.
fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> f64 {
        let kb: f64 = status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        kb / 1024.0
    };
    (field("RssAnon:"), field("RssFile:"))
}

fn rss() -> String {
    let (anon, file) = rss_mib();
    format!("RSS {anon:.0} MiB anonymous + {file:.0} MiB file-backed (database map)")
}

fn post(client: &reqwest::Client, url: &str, op: &str, body: String) -> reqwest::RequestBuilder {
    client
        .post(format!("{url}/"))
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{op}"),
        )
        .header("content-type", "application/x-amz-json-1.1")
        .body(body)
}

/// Requests per second with `CONCURRENCY` clients in flight, for a request built by `make(i)`.
const CONCURRENCY: usize = 16;
const REQUESTS: usize = 4_000;

fn throughput(
    rt: &tokio::runtime::Runtime,
    make: impl Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
) -> f64 {
    let make = std::sync::Arc::new(make);
    let start = Instant::now();
    rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for w in 0..CONCURRENCY {
            let make = make.clone();
            set.spawn(async move {
                for k in 0..REQUESTS / CONCURRENCY {
                    let resp = make(w * 100_000 + k).send().await.expect("request");
                    assert!(resp.status().is_success());
                    black_box(resp.bytes().await.expect("body"));
                }
            });
        }
        while set.join_next().await.is_some() {}
    });
    REQUESTS as f64 / start.elapsed().as_secs_f64()
}

/// Requests per second from a lean client (raw HTTP/1.1 over `CONCURRENCY` keep-alive
/// connections, requests prepared beforehand), so that the figure is the server's and not
/// the client library's: the same client measures the floor and each operation.
fn raw_throughput(
    rt: &tokio::runtime::Runtime,
    addr: std::net::SocketAddr,
    requests: Vec<Vec<u8>>,
) -> f64 {
    use tokio::io::AsyncWriteExt as _;
    let per = requests.len() / CONCURRENCY;
    let mut chunks: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut it = requests.into_iter();
    for _ in 0..CONCURRENCY {
        chunks.push(it.by_ref().take(per).collect());
    }
    let start = Instant::now();
    rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for chunk in chunks {
            set.spawn(async move {
                let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
                conn.set_nodelay(true).expect("nodelay");
                let mut buf = Vec::with_capacity(16 * 1024);
                for req in chunk {
                    conn.write_all(&req).await.expect("write");
                    buf.clear();
                    read_response(&mut conn, &mut buf).await;
                }
            });
        }
        while let Some(r) = set.join_next().await {
            r.expect("client task");
        }
    });
    (per * CONCURRENCY) as f64 / start.elapsed().as_secs_f64()
}

/// Reads one response (headers, then `content-length` bytes); panics on a status other than 200.
async fn read_response(conn: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) {
    use tokio::io::AsyncReadExt as _;
    let mut chunk = [0u8; 8192];
    let (head_end, length) = loop {
        let n = conn.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
            assert!(head.starts_with("http/1.1 200"), "{head}");
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .expect("content-length");
            break (i + 4, length);
        }
    };
    while buf.len() < head_end + length {
        let n = conn.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn raw_request(method: &str, path: &str, target: Option<&str>, body: &str) -> Vec<u8> {
    let mut r = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\ncontent-length: {}\r\n",
        body.len()
    );
    if let Some(op) = target {
        r.push_str(&format!("x-amz-target: AWSCognitoIdentityProviderService.{op}\r\ncontent-type: application/x-amz-json-1.1\r\n"));
    }
    r.push_str("\r\n");
    r.push_str(body);
    r.into_bytes()
}

/// The server's own rates, from the lean client: the health check (the floor), ListUsers by
/// email and AdminGetUser, each as a fraction of the floor.
fn report_server_rates(rt: &tokio::runtime::Runtime, addr: std::net::SocketAddr, n: usize) {
    const RAW: usize = 32_000;
    let health: Vec<_> = (0..RAW)
        .map(|_| raw_request("GET", "/_emulator/health", None, ""))
        .collect();
    let pick = |i: usize| (i * 7919) % n.max(1);
    let list: Vec<_> = (0..RAW)
        .map(|i| {
            let body = format!(
                r#"{{"UserPoolId":"{POOL}","Filter":"email = \"user{}@example.com\""}}"#,
                pick(i)
            );
            raw_request("POST", "/", Some("ListUsers"), &body)
        })
        .collect();
    let get: Vec<_> = (0..RAW)
        .map(|i| {
            let body = format!(
                r#"{{"UserPoolId":"{POOL}","Username":"00000000-0000-4000-8000-{:012}"}}"#,
                pick(i)
            );
            raw_request("POST", "/", Some("AdminGetUser"), &body)
        })
        .collect();
    let h = raw_throughput(rt, addr, health);
    let l = raw_throughput(rt, addr, list);
    let g = raw_throughput(rt, addr, get);
    eprintln!(
        "server rates at {n} users (lean client, {CONCURRENCY} connections): health {h:.0}/s, ListUsers-by-email {l:.0}/s ({:.2} of health), AdminGetUser {g:.0}/s ({:.2} of health)",
        l / h,
        g / h
    );
}

fn report_throughput(rt: &tokio::runtime::Runtime, client: &reqwest::Client, url: &str, n: usize) {
    let (c, u) = (client.clone(), url.to_owned());
    let health = throughput(rt, move |_| c.get(format!("{u}/_emulator/health")));
    let (c, u) = (client.clone(), url.to_owned());
    let list = throughput(rt, move |i| {
        let body = format!(
            r#"{{"UserPoolId":"{POOL}","Filter":"email = \"user{}@example.com\""}}"#,
            (i * 7919) % n.max(1)
        );
        post(&c, &u, "ListUsers", body)
    });
    let (c, u) = (client.clone(), url.to_owned());
    let create = throughput(rt, move |i| {
        let body = format!(
            r#"{{"UserPoolId":"{POOL}","Username":"tp{n}-{i}@example.com","MessageAction":"SUPPRESS"}}"#
        );
        post(&c, &u, "AdminCreateUser", body)
    });
    eprintln!(
        "throughput at {n} users, {CONCURRENCY} in flight: health {health:.0}/s, ListUsers-by-email {list:.0}/s ({:.2} of health), AdminCreateUser {create:.0}/s ({:.2} of health)",
        list / health,
        create / health
    );
}

fn bench_api(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let client = reqwest::Client::new();
    let mut group = c.benchmark_group("cognito_http");
    group
        .measurement_time(Duration::from_secs(5))
        .sample_size(30);
    for n in sizes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t = Instant::now();
        fill(&rt, dir.path(), n);
        eprintln!("filled {n} users in {:.1}s", t.elapsed().as_secs_f64());
        let t = Instant::now();
        let options = Options {
            storage: Storage::Dir(dir.path().to_owned()),
            ..Options::default()
        };
        let running = rt
            .block_on(emulator::start_with(
                Config::default_config().with_ephemeral_ports(),
                options,
            ))
            .expect("start");
        eprintln!(
            "startup on {n} users: {:.1} ms; {}",
            t.elapsed().as_secs_f64() * 1e3,
            rss()
        );
        let url = running.cognito_url.clone();

        group.bench_with_input(BenchmarkId::new("health_baseline", n), &n, |b, _| {
            b.iter(|| {
                rt.block_on(async {
                    black_box(
                        client
                            .get(format!("{url}/_emulator/health"))
                            .send()
                            .await
                            .expect("health")
                            .bytes()
                            .await,
                    )
                })
            })
        });
        let mut i = 0usize;
        group.bench_with_input(BenchmarkId::new("list_users_by_email", n), &n, |b, &n| {
            b.iter(|| {
                i = (i + 7919) % n.max(1);
                let body = format!(
                    r#"{{"UserPoolId":"{POOL}","Filter":"email = \"user{i}@example.com\""}}"#
                );
                rt.block_on(async {
                    let resp = post(&client, &url, "ListUsers", body)
                        .send()
                        .await
                        .expect("list");
                    assert_eq!(resp.status(), 200);
                    black_box(resp.bytes().await)
                })
            })
        });
        let seq = AtomicU64::new(0);
        group.bench_with_input(BenchmarkId::new("admin_create_user", n), &n, |b, _| {
            b.iter(|| {
                let k = seq.fetch_add(1, Ordering::Relaxed);
                let body = format!(r#"{{"UserPoolId":"{POOL}","Username":"new{n}-{k}@example.com","MessageAction":"SUPPRESS"}}"#);
                rt.block_on(async {
                    let resp = post(&client, &url, "AdminCreateUser", body).send().await.expect("create");
                    assert_eq!(resp.status(), 200);
                    black_box(resp.bytes().await)
                })
            })
        });
        report_server_rates(&rt, running.cognito_addr, n);
        report_throughput(&rt, &client, &url, n);
        eprintln!("after the {n}-user benches: {}", rss());
        rt.block_on(running.stop());
    }
    group.finish();
}

criterion_group!(benches, bench_api);
criterion_main!(benches);
