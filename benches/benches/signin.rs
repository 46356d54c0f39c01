//! Sign-in over HTTP: USER_SRP_AUTH (InitiateAuth, then RespondToAuthChallenge
//! PASSWORD_VERIFIER, as Amplify and amazon-cognito-identity-js do it) beside
//! USER_PASSWORD_AUTH (one request) and the HTTP floor (the control plane's health check),
//! all measured in the same run on one in-memory emulator. The client's SRP arithmetic is
//! measured alone too, so the server's share of an SRP sign-in is the difference.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{CLIENT, PASSWORD, call, prove};
use criterion::{Criterion, criterion_group, criterion_main};
use emulator::cognito::signin::srp::Group;
use emulator::{Config, Options};
use num_bigint::BigUint;
use serde_json::json;

const USER: &str = "bench@example.com";

fn bench_signin(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let running = rt
        .block_on(emulator::start_with(
            Config::default_config().with_ephemeral_ports(),
            Options::default(),
        ))
        .expect("start");
    let url = running.cognito_url.clone();
    let client = reqwest::Client::new();
    rt.block_on(common::create_user(&client, &url, USER));
    // A client secret `a` of 1024 bits, as amazon-cognito-identity-js draws; `A` once.
    let a = BigUint::from_bytes_be(&[0x5a; 128]);
    let big_a = Group::default().public_a(&a).to_str_radix(16);

    let mut group = c.benchmark_group("signin_http");
    group
        .measurement_time(Duration::from_secs(8))
        .sample_size(40);
    group.bench_function("health_baseline", |b| {
        b.iter(|| {
            rt.block_on(async {
                let r = client.get(format!("{url}/_emulator/health")).send().await;
                black_box(r.expect("health").bytes().await)
            })
        })
    });
    group.bench_function("user_password_auth", |b| {
        b.iter(|| {
            rt.block_on(async {
                let body = json!({"ClientId": CLIENT, "AuthFlow": "USER_PASSWORD_AUTH",
                    "AuthParameters": {"USERNAME": USER, "PASSWORD": PASSWORD}});
                black_box(call(&client, &url, "InitiateAuth", body).await)
            })
        })
    });
    group.bench_function("user_srp_auth", |b| {
        b.iter(|| {
            let done = rt.block_on(common::srp_sign_in_with(&client, &url, USER, &a, &big_a));
            assert!(done["AccessToken"].is_string());
        })
    });
    // The client's arithmetic alone, on a challenge answered once.
    let challenge = rt.block_on(async {
        let body = json!({"ClientId": CLIENT, "AuthFlow": "USER_SRP_AUTH",
            "AuthParameters": {"USERNAME": USER, "SRP_A": big_a}});
        call(&client, &url, "InitiateAuth", body).await["ChallengeParameters"].clone()
    });
    group.bench_function("srp_client_math_only", |b| {
        b.iter(|| black_box(prove(&a, &challenge)))
    });
    bench_passkey(&mut group, &rt, &client, &url);
    group.finish();
    rt.block_on(running.stop());
}

/// The passkey sign-in: the pool allows WEB_AUTHN, the user registers a passkey once.
fn bench_passkey(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &tokio::runtime::Runtime,
    client: &reqwest::Client,
    url: &str,
) {
    use harness::authenticator::{AuthenticatorConfig, VirtualAuthenticator};
    let origin = common::APP_ORIGIN;
    let mut device = VirtualAuthenticator::with_seed(AuthenticatorConfig::platform_passkey(), 9)
        .expect("authenticator");
    rt.block_on(async {
        common::allow_passkeys(client, url).await;
        common::register_passkey(client, url, USER, &mut device).await;
    });
    group.bench_function("user_auth_web_authn", |b| {
        b.iter(|| {
            let done = rt.block_on(common::passkey_sign_in(client, url, USER, &mut device));
            assert!(done["AccessToken"].is_string());
        })
    });
    let initiate = json!({"ClientId": CLIENT, "AuthFlow": "USER_AUTH",
        "AuthParameters": {"USERNAME": USER, "PREFERRED_CHALLENGE": "WEB_AUTHN"}});
    let options = rt.block_on(async {
        let c = call(client, url, "InitiateAuth", initiate.clone()).await;
        c["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    group.bench_function("web_authn_authenticator_only", |b| {
        b.iter(|| black_box(device.get(&options, origin).expect("get")))
    });
    // The floor: one ECDSA P-256 verification (aws-lc, key parsed each time as the verifier
    // does on a stored key).
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair,
        UnparsedPublicKey,
    };
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("key");
    let message = [7u8; 69];
    let signature = key.sign(&rng, &message).expect("sign");
    let public = key.public_key().as_ref().to_vec();
    group.bench_function("ecdsa_p256_verify_floor", |b| {
        b.iter(|| {
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, black_box(&public))
                .verify(black_box(&message), black_box(signature.as_ref()))
                .is_ok()
        })
    });
}

criterion_group!(benches, bench_signin);
criterion_main!(benches);
