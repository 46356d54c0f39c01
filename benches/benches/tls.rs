//! HTTPS mode's cost: ListUsers (by email, in a pool of 1,000 users) against one emulator over
//! plain HTTP and another over HTTPS, measured in the same run with the same client (reqwest,
//! the HTTPS client trusting the emulator's CA): on a kept-alive connection (the TLS record
//! layer only) and on a new connection per request (TCP and the TLS handshake each time).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use common::POOL;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use emulator::{Config, Running};
use harness::driver::{RunTls, client_builder};
use serde_json::json;

mod common;

const USERS: usize = 1_000;

async fn start(tls: Option<&RunTls>) -> Running {
    let mut config = Config::default_config().with_ephemeral_ports();
    config.tls.enabled = tls.is_some();
    let options = emulator::Options {
        tls_authority: tls.and_then(|t| t.authority.clone()),
        ..emulator::Options::default()
    };
    emulator::start_with(config, options).await.expect("start")
}

async fn fill(client: &reqwest::Client, url: &str) {
    for i in 0..USERS {
        let body = json!({"UserPoolId": POOL, "Username": format!("user{i}@example.com"),
            "MessageAction": "SUPPRESS"});
        common::call(client, url, "AdminCreateUser", body).await;
    }
}

async fn list_users(client: &reqwest::Client, url: &str, i: usize) {
    let filter = format!("email = \"user{}@example.com\"", i % USERS);
    let body = json!({"UserPoolId": POOL, "Filter": filter, "Limit": 1});
    black_box(common::call(client, url, "ListUsers", body).await);
}

fn bench_tls(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tls = RunTls::new_ca().unwrap();
    let plain = rt.block_on(start(None));
    let secure = rt.block_on(start(Some(&tls)));
    let kept = |trust| client_builder(trust).build().unwrap();
    let fresh = |trust| {
        client_builder(trust)
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    };
    let servers = [
        ("http", plain.cognito_url.clone(), kept(None), fresh(None)),
        (
            "https",
            secure.cognito_url.clone(),
            kept(Some(&tls.trust)),
            fresh(Some(&tls.trust)),
        ),
    ];
    for (_, url, client, _) in &servers {
        rt.block_on(fill(client, url));
    }
    let mut group = c.benchmark_group("tls/ListUsers");
    group.measurement_time(Duration::from_secs(5));
    for (scheme, url, kept, fresh) in &servers {
        for (connection, client) in [("keep-alive", kept), ("new connection", fresh)] {
            let mut i = 0;
            let id = BenchmarkId::new(*scheme, connection);
            group.bench_function(id, |b| {
                b.iter(|| {
                    i += 1;
                    rt.block_on(list_users(client, url, i));
                })
            });
        }
    }
    group.finish();
    rt.block_on(async {
        plain.stop().await;
        secure.stop().await;
    });
}

criterion_group!(benches, bench_tls);
criterion_main!(benches);
