//! Ceremony verification benchmarks, each beside its baselines in the same run, on the same
//! Chromium-captured registrations (`none`, `direct` = packed x5c) and assertion
//! (`fixtures/webauthn/chromium/`): (a) the raw ECDSA P-256 verify (aws-lc-rs with the key
//! parsed once, as the verifier does; aws-lc-rs and ring parsing it per call, to choose the
//! backend), (b) emulator-webauthn verifying the assertion end to end from its JSON text,
//! (c) webauthn-rs 0.6 finishing the same authentication; then registration for both.
//! The setups are in `benches::ceremony`; BENCHMARKS.md has the figures.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench aborts on broken fixtures

use benches::ceremony::{Authentication, RawVerify, Registration};
use benches::chromium;
use criterion::{Criterion, criterion_group, criterion_main};

fn ceremonies(c: &mut Criterion) {
    let none = chromium("none").unwrap();
    let direct = chromium("direct").unwrap();

    let raw = RawVerify::new(&none).unwrap();
    let mut group = c.benchmark_group("p256_verify");
    group.bench_function("aws-lc-rs parsed key", |b| {
        b.iter(|| assert!(raw.aws_lc_parsed()))
    });
    group.bench_function("aws-lc-rs key parsed per call", |b| {
        b.iter(|| assert!(raw.aws_lc_unparsed()))
    });
    group.bench_function("ring key parsed per call", |b| {
        b.iter(|| assert!(raw.ring_unparsed()))
    });
    group.finish();

    let mut auth = Authentication::new(&none).unwrap();
    let mut group = c.benchmark_group("authentication");
    group.bench_function("emulator-webauthn", |b| b.iter(|| auth.ours().unwrap()));
    group.bench_function("webauthn-rs 0.6", |b| b.iter(|| auth.theirs().unwrap()));
    group.finish();

    for (label, capture) in [("none", &none), ("packed x5c", &direct)] {
        let reg = Registration::new(capture).unwrap();
        let mut group = c.benchmark_group(format!("registration {label}"));
        group.bench_function("emulator-webauthn", |b| b.iter(|| reg.ours().unwrap()));
        group.bench_function("webauthn-rs 0.6", |b| b.iter(|| reg.theirs().unwrap()));
        group.finish();
    }
}

criterion_group!(benches, ceremonies);
criterion_main!(benches);
