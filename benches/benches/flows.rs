//! Whole flows in process, each from the app's "Sign in" to an ID token validated against the
//! pool's JWKS, beside its crypto floor measured in the same run: the first federated sign-in
//! (OTP and passkey registration at the IdP), a returning one (passkey), account linking with
//! the built-in PreSignUp handler, USER_SRP_AUTH and USER_AUTH with a passkey. Every
//! sign-in is a user of its own, set up before the clock starts (`iter_custom`). After the
//! criterion groups, a table gives each flow's time, its floor and their ratio (the goal of
//! issue 17: a flow within 2x its floor).
//!
//!     cargo bench -p benches --bench flows              # the figures
//!     cargo bench -p benches --bench flows -- --test    # every flow once (smoke check)

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
// Shared with `load.rs`, which uses what this bench does not.
#[allow(dead_code)]
#[path = "flows/federated.rs"]
mod federated;
#[path = "flows/floor.rs"]
mod floor;
#[path = "flows/native.rs"]
mod native;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use floor::{Counts, Op};

/// Samples per flow (criterion's minimum is 10).
const FLOW_SAMPLES: usize = 10;
/// Samples per primitive operation.
const OP_SAMPLES: usize = 30;
/// Passkeys of other users in the pool for `user_auth_passkey_crowd`: each sign-in reads
/// every passkey of the pool, so the time grows with their number.
const CROWD: usize = 1000;

/// A measured flow, its floor, and the HTTP requests it makes (counted in the driver's code
/// and checked with `strace` on `--test` runs: requests written to a socket).
struct Flow {
    name: &'static str,
    counts: Counts,
    requests: u32,
}

const FLOWS: [Flow; 6] = [
    // Cognito's authorize and login page (2); its authorize to the IdP, the IdP's authorize
    // and login page (3); identifier, outbox, OTP (3); passkey options and registration,
    // idpresponse (3) with Cognito's token and userinfo calls to the IdP (2); the app's code
    // exchange and JWKS (2). Three new connections (browser to Cognito and to the IdP, app).
    Flow {
        name: "first_federated",
        counts: floor::FIRST_FEDERATED,
        requests: 15,
    },
    // The same without the outbox and OTP.
    Flow {
        name: "returning_federated",
        counts: floor::RETURNING_FEDERATED,
        requests: 13,
    },
    // A first sign-in that ends at the app's callback with PreSignUp's error (13), then a
    // returning one (13).
    Flow {
        name: "linking",
        counts: floor::LINKING,
        requests: 26,
    },
    // InitiateAuth, RespondToAuthChallenge, the app's JWKS.
    Flow {
        name: "srp",
        counts: floor::SRP,
        requests: 3,
    },
    Flow {
        name: "user_auth_passkey",
        counts: floor::USER_AUTH_PASSKEY,
        requests: 3,
    },
    Flow {
        name: "user_auth_passkey_crowd",
        counts: floor::USER_AUTH_PASSKEY,
        requests: 3,
    },
];

/// Time per iteration (seconds) of every call criterion made, by measurement.
#[derive(Default)]
struct Samples(RefCell<BTreeMap<&'static str, Vec<f64>>>);

impl Samples {
    fn record(&self, name: &'static str, iters: u64, elapsed: Duration) -> Duration {
        let per = elapsed.as_secs_f64() / iters.max(1) as f64;
        self.0.borrow_mut().entry(name).or_default().push(per);
        elapsed
    }

    /// The median of the last `n` calls: criterion's measurement samples (the calls before
    /// them are its warm-up; in `--test` mode there is one call).
    fn median(&self, name: &str, n: usize) -> f64 {
        let all = self.0.borrow();
        let v = all.get(name).map(Vec::as_slice).unwrap_or_default();
        let mut last = v[v.len().saturating_sub(n)..].to_vec();
        last.sort_by(f64::total_cmp);
        last.get(last.len() / 2).copied().unwrap_or(f64::NAN)
    }
}

fn bench_flows(c: &mut Criterion, rt: &tokio::runtime::Runtime, samples: &Samples) {
    let fed = rt.block_on(federated::Federation::start());
    let native = rt.block_on(native::Native::start());
    let mut group = c.benchmark_group("flows");
    group
        .sample_size(FLOW_SAMPLES)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6));
    let mut flow = |name: &'static str, f: &dyn Fn(u64) -> Duration| {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| samples.record(name, iters, f(iters)))
        });
    };
    flow("http_round_trip", &|n| rt.block_on(native.health(n)));
    flow("first_federated", &|n| rt.block_on(fed.first(n)));
    flow("returning_federated", &|n| rt.block_on(fed.returning(n)));
    flow("linking", &|n| rt.block_on(fed.linking(n)));
    flow("srp", &|n| rt.block_on(native.srp(n)));
    flow("user_auth_passkey", &|n| rt.block_on(native.passkey(n)));
    // The crowd joins at the first call (not timed), so a filter that skips this flow skips
    // its setup too.
    let crowded = std::cell::Cell::new(false);
    flow("user_auth_passkey_crowd", &|n| {
        if !crowded.replace(true) {
            rt.block_on(native.add_passkeys(CROWD));
        }
        rt.block_on(native.passkey(n))
    });
    group.finish();
    rt.block_on(fed.stop());
    rt.block_on(native.stop());
}

fn bench_floor(c: &mut Criterion, samples: &Samples) {
    let inputs = floor::Inputs::new();
    let mut group = c.benchmark_group("floor");
    group
        .sample_size(OP_SAMPLES)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    for op in Op::ALL {
        group.bench_function(op.name(), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    assert!(inputs.run(op), "{}", op.name());
                }
                samples.record(op.name(), iters, start.elapsed())
            })
        });
    }
    group.finish();
}

fn loadavg() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn fmt(secs: f64) -> String {
    match secs {
        s if s >= 1e-3 => format!("{:.2} ms", s * 1e3),
        s => format!("{:.1} µs", s * 1e6),
    }
}

/// The floor of `counts` and its terms, e.g. `3 x rs256_sign (1.1 ms)`.
fn floor_of(samples: &Samples, counts: Counts) -> (f64, String) {
    let terms = counts.iter().map(|&(op, n)| {
        let t = samples.median(op.name(), OP_SAMPLES);
        (n as f64 * t, format!("{n} x {} ({})", op.name(), fmt(t)))
    });
    let (times, names): (Vec<f64>, Vec<String>) = terms.unzip();
    (times.iter().sum(), names.join(" + "))
}

fn print_table(samples: &Samples, load_before: &str, load_after: &str) {
    let trip = samples.median("http_round_trip", FLOW_SAMPLES);
    println!(
        "\nWhole flows against their crypto floor (medians; load average {load_before} before, {load_after} after)\n"
    );
    println!(
        "| flow | flow time | floor | ratio | within 2x | HTTP requests x {} |",
        fmt(trip)
    );
    println!("|------|----------:|------:|------:|:---------:|------:|");
    let mut details = Vec::new();
    for f in &FLOWS {
        let time = samples.median(f.name, FLOW_SAMPLES);
        let (floor, terms) = floor_of(samples, f.counts);
        let ratio = time / floor;
        let met = if ratio <= 2.0 { "yes" } else { "no" };
        let http = fmt(f.requests as f64 * trip);
        let (name, t, fl) = (f.name, fmt(time), fmt(floor));
        println!(
            "| {name} | {t} | {fl} | {ratio:.1}x | {met} | {} = {http} |",
            f.requests
        );
        details.push(format!("{name}: {terms}"));
    }
    println!("\nFloors:\n{}", details.join("\n"));
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let samples = Samples::default();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let before = loadavg();
    bench_flows(&mut c, &rt, &samples);
    bench_floor(&mut c, &samples);
    c.final_summary();
    print_table(&samples, &before, &loadavg());
}
