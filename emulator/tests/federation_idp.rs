//! OIDC federation against an IdP played by wiremock: the first and later sign-ins, attribute
//! mapping, key rotation, userinfo by POST, and a misbehaving IdP (wrong iss/aud, bad
//! signature, unknown kid, expiry, nonce, token endpoint 500, userinfo 401): each gives
//! Cognito's error redirect and creates no user.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod oauth_support;

use std::sync::Arc;

use emulator::Config;
use emulator::clock::ManualClock;
use oauth_support::*;
use serde_json::{Value, json};

use common::{CLIENT, POOL};

async fn start(idp: &FakeIdp, method: &str) -> common::Emu {
    let mut config = Config::default_config();
    idp.configure(&mut config, method);
    common::start_with(config).await
}

async fn user_count(emu: &common::Emu) -> usize {
    emu.sdk
        .list_users()
        .user_pool_id(POOL)
        .send()
        .await
        .unwrap()
        .users()
        .len()
}

async fn tokens_from(base: &str, callback: &str) -> Value {
    let p = params(callback);
    let code = p
        .get("code")
        .unwrap_or_else(|| panic!("no code in {callback}"));
    exchange(base, CLIENT, code, None)
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn first_and_second_federated_sign_in() {
    let idp = FakeIdp::start().await;
    let emu = start(&idp, "GET").await;
    let base = emu.url().to_owned();

    let callback = federated_sign_in(&base, &idp, "idp-sub-1", "fed@example.com").await;
    assert!(callback.starts_with(CALLBACK), "{callback}");
    assert_eq!(params(&callback)["state"], "app-state");
    let t = tokens_from(&base, &callback).await;
    let id = verify(&base, POOL, t["id_token"].as_str().unwrap(), Some(CLIENT)).await;
    assert_eq!(id["cognito:username"], "Mosaic_idp-sub-1");
    assert_eq!(id["email"], "fed@example.com");
    assert_eq!(id["email_verified"], false);
    assert_eq!(id["cognito:groups"], json!([format!("{POOL}_Mosaic")]));
    let identities = &id["identities"][0];
    assert_eq!(identities["userId"], "idp-sub-1");
    assert_eq!(identities["providerName"], "Mosaic");
    assert_eq!(identities["primary"], "true");

    let u = emu
        .sdk
        .admin_get_user()
        .user_pool_id(POOL)
        .username("Mosaic_idp-sub-1")
        .send()
        .await
        .unwrap();
    assert_eq!(u.user_status().unwrap().as_str(), "EXTERNAL_PROVIDER");

    // What Cognito sent to the IdP: its own state and nonce, client_secret_post.
    let requests = idp.server.received_requests().await.unwrap();
    let token_req = requests.iter().find(|r| r.url.path() == "/token").unwrap();
    let form = params(&format!("?{}", String::from_utf8_lossy(&token_req.body)));
    assert_eq!(form["client_secret"], "mosaic-demo-secret");
    assert_eq!(form["redirect_uri"], format!("{base}/oauth2/idpresponse"));
    let me = requests.iter().find(|r| r.url.path() == "/me").unwrap();
    assert_eq!(me.method.as_str(), "GET");
    assert_eq!(me.headers["authorization"], "Bearer idp-access-token");

    // Second sign-in: the same user, mapped attributes written again.
    let callback = federated_sign_in(&base, &idp, "idp-sub-1", "new@example.com").await;
    let t = tokens_from(&base, &callback).await;
    let id2 = verify(&base, POOL, t["id_token"].as_str().unwrap(), Some(CLIENT)).await;
    assert_eq!(id2["sub"], id["sub"]);
    assert_eq!(id2["email"], "new@example.com");
    assert_eq!(user_count(&emu).await, 1);

    // A claim the IdP no longer sends leaves the attribute alone.
    let p = start_federation(&base, CLIENT, "s").await;
    let mut claims = id_claims("idp-sub-1", "", &p["nonce"]);
    claims.as_object_mut().unwrap().remove("email");
    idp.answer(
        &idp.key.sign(&claims),
        json!({"sub": "idp-sub-1"}),
        vec![idp.key.jwk()],
    )
    .await;
    let (_, callback) = idp_returns(&base, &p["state"]).await;
    let t = tokens_from(&base, &callback).await;
    let id3 = verify(&base, POOL, t["id_token"].as_str().unwrap(), Some(CLIENT)).await;
    assert_eq!(id3["email"], "new@example.com");

    // The state is good once.
    let (status, _) = idp_returns(&base, &p["state"]).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn userinfo_by_post_and_key_rotation() {
    let idp = FakeIdp::start().await;
    let emu = start(&idp, "POST").await;
    let base = emu.url().to_owned();
    let callback = federated_sign_in(&base, &idp, "rot", "rot@example.com").await;
    assert!(params(&callback).contains_key("code"), "{callback}");
    let me = idp
        .server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.url.path() == "/me")
        .unwrap();
    assert_eq!(me.method.as_str(), "POST");

    // The IdP rotates to a new key: the cached JWKS lacks its kid, so Cognito fetches again.
    let new_key = IdpKey::new("idp-key-2");
    let p = start_federation(&base, CLIENT, "s").await;
    let token = new_key.sign(&id_claims("rot", "rot@example.com", &p["nonce"]));
    idp.answer(
        &token,
        json!({"sub": "rot"}),
        vec![idp.key.jwk(), new_key.jwk()],
    )
    .await;
    let (_, callback) = idp_returns(&base, &p["state"]).await;
    assert!(params(&callback).contains_key("code"), "{callback}");
    let fetched = idp
        .server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/jwks")
        .count();
    assert_eq!(fetched, 1, "after a reset, exactly one new JWKS fetch");
}

enum Fault {
    Claims(fn(&mut serde_json::Map<String, Value>)),
    OtherKey,
    UnknownKid,
    Token500,
    Userinfo401,
    IdpError,
}

#[tokio::test]
async fn a_misbehaving_idp_gets_cognitos_error_redirect_and_no_user() {
    let idp = FakeIdp::start().await;
    let emu = start(&idp, "GET").await;
    let base = emu.url().to_owned();
    let cases: Vec<(&str, Fault, &str)> = vec![
        (
            "wrong iss",
            Fault::Claims(|c| {
                c.insert("iss".into(), json!("https://evil.example"));
            }),
            "Bad id_token issuer",
        ),
        (
            "wrong aud",
            Fault::Claims(|c| {
                c.insert("aud".into(), json!("someone-else"));
            }),
            "audience",
        ),
        (
            "expired",
            Fault::Claims(|c| {
                c.insert("exp".into(), json!(now_secs() - 10));
            }),
            "expired",
        ),
        (
            "nonce mismatch",
            Fault::Claims(|c| {
                c.insert("nonce".into(), json!("replayed"));
            }),
            "nonce",
        ),
        ("bad signature", Fault::OtherKey, "signature"),
        ("unknown kid", Fault::UnknownKid, "unknown kid"),
        ("token endpoint 500", Fault::Token500, "Mosaic Error - 500"),
        ("userinfo 401", Fault::Userinfo401, "Mosaic Error - 401"),
        ("IdP error", Fault::IdpError, "access_denied"),
    ];
    for (name, fault, expect) in cases {
        let p = start_federation(&base, CLIENT, "bad").await;
        let mut claims = id_claims("bad-sub", "bad@example.com", &p["nonce"]);
        let stranger = IdpKey::new("idp-key-1");
        let token = match &fault {
            Fault::Claims(f) => {
                f(claims.as_object_mut().unwrap());
                idp.key.sign(&claims)
            }
            Fault::OtherKey => stranger.sign(&claims),
            Fault::UnknownKid => idp.key.sign_as("nobody", &claims),
            _ => idp.key.sign(&claims),
        };
        idp.answer(&token, json!({"sub": "bad-sub"}), vec![idp.key.jwk()])
            .await;
        match fault {
            Fault::Token500 => {
                idp.server.reset().await;
                wiremock::Mock::given(wiremock::matchers::path("/token"))
                    .respond_with(wiremock::ResponseTemplate::new(500).set_body_string("boom"))
                    .mount(&idp.server)
                    .await;
            }
            Fault::Userinfo401 => {
                idp.server.reset().await;
                wiremock::Mock::given(wiremock::matchers::path("/token"))
                    .respond_with(
                        wiremock::ResponseTemplate::new(200)
                            .set_body_json(json!({"access_token": "a", "id_token": token})),
                    )
                    .mount(&idp.server)
                    .await;
                wiremock::Mock::given(wiremock::matchers::path("/jwks"))
                    .respond_with(
                        wiremock::ResponseTemplate::new(200)
                            .set_body_json(json!({"keys": [idp.key.jwk()]})),
                    )
                    .mount(&idp.server)
                    .await;
                wiremock::Mock::given(wiremock::matchers::path("/me"))
                    .respond_with(
                        wiremock::ResponseTemplate::new(401)
                            .set_body_json(json!({"error": "invalid_token"})),
                    )
                    .mount(&idp.server)
                    .await;
            }
            _ => {}
        }
        let r = if matches!(fault, Fault::IdpError) {
            browser()
                .get(format!("{base}/oauth2/idpresponse"))
                .query(&[("error", "access_denied"), ("state", &p["state"])])
                .send()
                .await
                .unwrap()
        } else {
            browser()
                .get(format!("{base}/oauth2/idpresponse"))
                .query(&[("code", "c"), ("state", &p["state"])])
                .send()
                .await
                .unwrap()
        };
        assert_eq!(r.status(), 302, "{name}");
        let loc = location(&r);
        assert!(loc.starts_with(CALLBACK), "{name}: {loc}");
        let q = params(&loc);
        assert_eq!(q["error"], "invalid_request", "{name}");
        assert_eq!(q["state"], "bad", "{name}");
        assert!(
            q["error_description"].contains(expect),
            "{name}: {}",
            q["error_description"]
        );
        assert_eq!(user_count(&emu).await, 0, "{name}: no user created");
    }
    let j: Value = reqwest::get(format!(
        "{base}/_emulator/journal?kind=rejected&name=federation.idpresponse"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        j.as_array()
            .map(Vec::len)
            .or_else(|| j["events"].as_array().map(Vec::len)),
        Some(9),
        "{j}"
    );
}

#[tokio::test]
async fn a_flow_older_than_five_minutes_fails() {
    let idp = FakeIdp::start().await;
    let mut config = Config::default_config();
    idp.configure(&mut config, "GET");
    let clock = Arc::new(ManualClock::new(now_secs() * 1000));
    let options = emulator::Options {
        clock: clock.clone(),
        ..Default::default()
    };
    let running = emulator::start_with(config.with_ephemeral_ports(), options)
        .await
        .unwrap();
    let base = running.cognito_url.clone();
    let p = start_federation(&base, CLIENT, "late").await;
    let token = idp
        .key
        .sign(&id_claims("late", "late@example.com", &p["nonce"]));
    idp.answer(&token, json!({"sub": "late"}), vec![idp.key.jwk()])
        .await;
    clock.advance_secs(301);
    let (status, loc) = idp_returns(&base, &p["state"]).await;
    assert_eq!(status, 400, "{loc}");
    let sdk = common::sdk(&base);
    assert!(
        sdk.list_users()
            .user_pool_id(POOL)
            .send()
            .await
            .unwrap()
            .users()
            .is_empty()
    );
    assert!(
        idp.server.received_requests().await.unwrap().is_empty(),
        "the IdP was not called"
    );
    running.stop().await;
}

#[tokio::test]
async fn later_sign_ins_run_pre_and_post_authentication() {
    let idp = FakeIdp::start().await;
    let mut config = Config::default_config();
    idp.configure(&mut config, "GET");
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:observe";
    with_trigger(
        &mut config,
        "PostAuthentication",
        arn,
        "builtin:link_by_email",
    );
    let pool = &mut config.cognito.pools[0];
    for t in ["PreSignUp", "PostConfirmation", "PreTokenGeneration"] {
        pool.lambda.insert(t.into(), arn.into());
    }
    let throws = "arn:aws:lambda:us-east-1:000000000000:function:throws";
    pool.lambda
        .insert("PreAuthentication".into(), throws.into());
    config.lambda_functions.insert(
        throws.into(),
        format!("node:{}", fixture("contract/throws.js")),
    );
    let emu = common::start_with(config).await;
    let base = emu.url().to_owned();

    // First sign-in: PreSignUp, PostConfirmation, then token generation at the exchange.
    let callback = federated_sign_in(&base, &idp, "trig", "trig@example.com").await;
    tokens_from(&base, &callback).await;
    let names = |events: Vec<Value>| {
        events
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(journal(&base, "kind=trigger").await),
        [
            "PreSignUp_ExternalProvider",
            "PostConfirmation_ConfirmSignUp",
            "TokenGeneration_HostedAuth"
        ]
    );

    // Later sign-in: PreAuthentication runs and its error refuses the sign-in.
    let callback = federated_sign_in(&base, &idp, "trig", "trig@example.com").await;
    let p = params(&callback);
    assert_eq!(p["error"], "invalid_request");
    assert_eq!(
        p["error_description"],
        "PreAuthentication failed with error Sign-up is closed."
    );
    let events = names(journal(&base, "kind=trigger").await);
    assert_eq!(events[3..], ["PreAuthentication_Authentication"]);

    // With a PreAuthentication that lets the user in, PostAuthentication follows.
    let idp = FakeIdp::start().await;
    let mut config = Config::default_config();
    idp.configure(&mut config, "GET");
    for t in ["PreAuthentication", "PostAuthentication"] {
        with_trigger(&mut config, t, arn, "builtin:link_by_email");
    }
    let emu = common::start_with(config).await;
    let base = emu.url().to_owned();
    federated_sign_in(&base, &idp, "trig", "trig@example.com").await;
    let callback = federated_sign_in(&base, &idp, "trig", "trig@example.com").await;
    tokens_from(&base, &callback).await;
    assert_eq!(
        names(journal(&base, "kind=trigger").await),
        [
            "PreAuthentication_Authentication",
            "PostAuthentication_Authentication"
        ]
    );
}
