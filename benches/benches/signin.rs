//! Sign-in over HTTP: USER_SRP_AUTH (InitiateAuth, then RespondToAuthChallenge
//! PASSWORD_VERIFIER, as Amplify and amazon-cognito-identity-js do it) beside
//! USER_PASSWORD_AUTH (one request) and the HTTP floor (the control plane's health check),
//! all measured in the same run on one in-memory emulator. The client's SRP arithmetic is
//! measured alone too, so the server's share of an SRP sign-in is the difference.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use criterion::{Criterion, criterion_group, criterion_main};
use emulator::cognito::signin::srp::{self, Group};
use emulator::{Config, Options};
use num_bigint::BigUint;
use serde_json::{Value, json};

const POOL: &str = "us-east-1_Mosaic001";
const CLIENT: &str = "1example23456789abcdefghij";
const USER: &str = "bench@example.com";
const PASSWORD: &str = "Passw0rd!";

async fn call(client: &reqwest::Client, url: &str, op: &str, body: Value) -> Value {
    let resp = client
        .post(format!("{url}/"))
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{op}"),
        )
        .header("content-type", "application/x-amz-json-1.1")
        .body(body.to_string())
        .send()
        .await
        .expect(op);
    assert_eq!(resp.status(), 200, "{op}");
    serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json")
}

/// The client's half of SRP for a PASSWORD_VERIFIER challenge: the four ChallengeResponses.
fn prove(a: &BigUint, p: &Value) -> Value {
    let group = Group::default();
    let hex = |k: &str| BigUint::parse_bytes(p[k].as_str().unwrap().as_bytes(), 16).unwrap();
    let user_id = p["USER_ID_FOR_SRP"].as_str().unwrap();
    let name = srp::pool_name(POOL);
    let key = group
        .client_session_key(a, &hex("SRP_B"), &hex("SALT"), name, user_id, PASSWORD)
        .unwrap();
    let block = p["SECRET_BLOCK"].as_str().unwrap();
    let ts = srp::timestamp(1_800_000_000);
    let sig = srp::claim_signature(&key, name, user_id, &B64.decode(block).unwrap(), &ts);
    json!({
        "USERNAME": user_id, "PASSWORD_CLAIM_SECRET_BLOCK": block, "TIMESTAMP": ts,
        "PASSWORD_CLAIM_SIGNATURE": B64.encode(sig.as_ref()),
    })
}

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
    rt.block_on(async {
        let create = json!({"UserPoolId": POOL, "Username": USER, "MessageAction": "SUPPRESS"});
        call(&client, &url, "AdminCreateUser", create).await;
        let set =
            json!({"UserPoolId": POOL, "Username": USER, "Password": PASSWORD, "Permanent": true});
        call(&client, &url, "AdminSetUserPassword", set).await;
    });
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
            rt.block_on(async {
                let body = json!({"ClientId": CLIENT, "AuthFlow": "USER_SRP_AUTH",
                    "AuthParameters": {"USERNAME": USER, "SRP_A": big_a}});
                let c = call(&client, &url, "InitiateAuth", body).await;
                let responses = prove(&a, &c["ChallengeParameters"]);
                let body = json!({"ClientId": CLIENT, "ChallengeName": "PASSWORD_VERIFIER",
                    "ChallengeResponses": responses});
                let done = call(&client, &url, "RespondToAuthChallenge", body).await;
                assert!(done["AuthenticationResult"]["AccessToken"].is_string());
            })
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
    let origin = "http://localhost:3000";
    let mut device = VirtualAuthenticator::with_seed(AuthenticatorConfig::platform_passkey(), 9)
        .expect("authenticator");
    rt.block_on(async {
        let policy = json!({"UserPoolId": POOL, "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}});
        call(client, url, "UpdateUserPool", policy).await;
        let flows = json!({"UserPoolId": POOL, "ClientId": CLIENT, "CallbackURLs": ["http://localhost:3000/callback"],
            "ExplicitAuthFlows": ["ALLOW_USER_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]});
        call(client, url, "UpdateUserPoolClient", flows).await;
        let body = json!({"ClientId": CLIENT, "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": USER, "PASSWORD": PASSWORD}});
        let t = call(client, url, "InitiateAuth", body).await;
        let access = t["AuthenticationResult"]["AccessToken"].clone();
        let start = call(client, url, "StartWebAuthnRegistration", json!({"AccessToken": access})).await;
        let options = start["CredentialCreationOptions"].to_string();
        let credential = device.create(&options, origin).expect("create");
        let done = json!({"AccessToken": access, "Credential": credential});
        call(client, url, "CompleteWebAuthnRegistration", done).await;
    });
    let initiate = json!({"ClientId": CLIENT, "AuthFlow": "USER_AUTH",
        "AuthParameters": {"USERNAME": USER, "PREFERRED_CHALLENGE": "WEB_AUTHN"}});
    group.bench_function("user_auth_web_authn", |b| {
        b.iter(|| {
            rt.block_on(async {
                let c = call(client, url, "InitiateAuth", initiate.clone()).await;
                let options = c["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"].as_str().unwrap();
                let assertion = device.get(options, origin).expect("get");
                let body = json!({"ClientId": CLIENT, "ChallengeName": "WEB_AUTHN", "Session": c["Session"],
                    "ChallengeResponses": {"USERNAME": USER, "CREDENTIAL": assertion.to_string()}});
                let done = call(client, url, "RespondToAuthChallenge", body).await;
                assert!(done["AuthenticationResult"]["AccessToken"].is_string());
            })
        })
    });
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
