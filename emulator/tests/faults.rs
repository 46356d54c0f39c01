//! Fault injection through `/_emulator/faults`, one test per fault: a federated sign-in
//! (Cognito's hosted UI -> the emulated IdP with an OTP and a passkey -> `/oauth2/idpresponse`)
//! or a SignUp fails the way Cognito or the IdP would, the journal names the fault (the control
//! event that set it and the request it hit), and after the faults are cleared the same flow
//! passes.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod federated;
mod idp_support;
mod oauth_support;

use federated::{back_to_app, sign_in, to_idp};
use idp_support::{Idp, authenticator};
use oauth_support::{journal, params, with_trigger};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::CLIENT;

const ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:link";

/// Sets a fault; it must be accepted.
async fn set(idp: &Idp, fault: Value) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}/_emulator/faults", idp.emu.cognito_url))
        .json(&fault)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

async fn clear(idp: &Idp) {
    let r = reqwest::Client::new()
        .delete(format!("{}/_emulator/faults", idp.emu.cognito_url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["faults"], json!([]));
}

/// Cognito's error redirect: `error` and an `error_description` containing `want`.
fn assert_refused(callback: &str, want: &str) {
    let p = params(callback);
    assert_eq!(
        p.get("error").map(String::as_str),
        Some("invalid_request"),
        "{callback}"
    );
    assert!(p["error_description"].contains(want), "{callback}");
    assert_eq!(p["state"], "app-1");
}

fn assert_signed_in(callback: &str) {
    assert!(params(callback).contains_key("code"), "{callback}");
}

/// The journal names `label`: the control event that set it, the event of the request it
/// hit (`hit` names that event), and Cognito's refusal of the sign-in when there is one.
async fn assert_journaled(idp: &Idp, label: &str, hit: &str, refused: bool) {
    let base = &idp.emu.cognito_url;
    let set = journal(base, "service=control&name=fault.set").await;
    assert!(set.iter().any(|e| e["detail"]["fault"] == label), "{set:?}");
    let names = |e: &Value| {
        let d = &e["detail"];
        d["fault"] == label
            || d["faults"]
                .as_array()
                .is_some_and(|a| a.contains(&json!(label)))
    };
    let hits = journal(base, &format!("name={hit}")).await;
    assert!(hits.iter().any(names), "no {hit} naming {label}: {hits:?}");
    if refused {
        let r = journal(base, "kind=rejected&name=federation.idpresponse").await;
        assert!(r.iter().any(names), "{r:?}");
    }
}

/// The federated sign-in fails under `fault` with `want` in Cognito's error redirect, the
/// journal names it, and once cleared the same sign-in passes.
async fn fails_then_passes(fault: Value, want: &str, hit: &str) {
    let idp = idp_support::start().await;
    let mut device = authenticator(3);
    let label = set(&idp, fault).await["faults"][0]["label"]
        .as_str()
        .unwrap()
        .to_owned();
    let callback = sign_in(&idp, "f@example.com", &mut device).await;
    assert_refused(&callback, want);
    assert_journaled(&idp, &label, hit, true).await;
    clear(&idp).await;
    assert_signed_in(&sign_in(&idp, "f@example.com", &mut device).await);
    let cleared = journal(&idp.emu.cognito_url, "name=faults.cleared").await;
    assert_eq!(cleared[0]["detail"]["faults"], json!([label]));
}

#[tokio::test]
async fn the_idp_token_endpoint_refusing_the_code() {
    let fault = json!({"fault": "idp_endpoint", "endpoint": "token", "status": 400, "error": "invalid_grant"});
    fails_then_passes(
        fault,
        "400 from the token endpoint: {\"error\":\"invalid_grant\"",
        "fault.injected",
    )
    .await;
}

#[tokio::test]
async fn the_idp_userinfo_endpoint_down() {
    let fault = json!({"fault": "idp_endpoint", "endpoint": "userinfo", "status": 503});
    fails_then_passes(
        fault,
        "Mosaic Error - 503 from the userinfo endpoint",
        "fault.injected",
    )
    .await;
}

#[tokio::test]
async fn the_idp_jwks_malformed() {
    let fault = json!({"fault": "idp_endpoint", "endpoint": "jwks", "malformed": true});
    fails_then_passes(fault, "jwks_uri returned no JWKS", "fault.injected").await;
}

/// Slower than Cognito's limit for a call to the IdP (10 s): the token endpoint times out.
#[tokio::test]
async fn the_idp_token_endpoint_too_slow() {
    let fault = json!({"fault": "idp_endpoint", "endpoint": "token", "delay_ms": 10_500});
    fails_then_passes(fault, "token endpoint unreachable", "fault.injected").await;
}

/// The IdP signs with a new key its JWKS does not publish: Cognito fetches the JWKS again for
/// the unknown `kid` and refuses the token. Published, the rotation passes.
#[tokio::test]
async fn the_idp_signing_key_rotated() {
    let fault = json!({"fault": "idp_key_rotated"});
    fails_then_passes(fault, "Invalid id_token: unknown kid", "fault.injected").await;
    let idp = idp_support::start().await;
    let mut device = authenticator(4);
    assert_signed_in(&sign_in(&idp, "k@example.com", &mut device).await);
    set(&idp, json!({"fault": "idp_key_rotated", "published": true})).await;
    assert_signed_in(&sign_in(&idp, "k@example.com", &mut device).await);
    let fetched = journal(&idp.emu.cognito_url, "name=federation.jwks_fetched").await;
    assert_eq!(
        fetched.len(),
        2,
        "fetched again for the new kid: {fetched:?}"
    );
}

/// The IdP's clock two hours behind Cognito's: its ID token has expired when Cognito reads it.
#[tokio::test]
async fn the_clocks_of_cognito_and_the_idp_skewed() {
    let fault = json!({"fault": "clock", "idp_secs": -7200});
    let idp = idp_support::start().await;
    let mut device = authenticator(5);
    let label = set(&idp, fault).await["faults"][0]["label"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(label, "clock: Cognito +0 s, IdP -7200 s");
    assert_refused(
        &sign_in(&idp, "c@example.com", &mut device).await,
        "Invalid id_token: token expired",
    );
    assert_journaled(&idp, &label, "federation.idpresponse", true).await;
    clear(&idp).await;
    assert_signed_in(&sign_in(&idp, "c@example.com", &mut device).await);
}

/// The PreSignUp trigger throws: the first federated sign-in is refused with Cognito's
/// message; the journal's trigger event names the fault.
#[tokio::test]
async fn a_trigger_failing() {
    let idp =
        idp_support::start_with(|c| with_trigger(c, "PreSignUp", ARN, "builtin:link_by_email"))
            .await;
    let mut device = authenticator(6);
    let fault =
        json!({"fault": "trigger", "trigger": "PreSignUp", "error": "database unavailable"});
    let label = set(&idp, fault).await["faults"][0]["label"]
        .as_str()
        .unwrap()
        .to_owned();
    let callback = sign_in(&idp, "t@example.com", &mut device).await;
    assert_refused(
        &callback,
        "PreSignUp failed with error database unavailable.",
    );
    assert_journaled(&idp, &label, "PreSignUp_ExternalProvider", true).await;
    clear(&idp).await;
    assert_signed_in(&sign_in(&idp, "t@example.com", &mut device).await);
}

/// A slow PreSignUp: every attempt outlasts the trigger timeout, so SignUp answers
/// `UnexpectedLambdaException` after three attempts; cleared, SignUp succeeds.
#[tokio::test]
async fn a_trigger_too_slow() {
    let idp = idp_support::start_with(|c| {
        with_trigger(c, "PreSignUp", ARN, "builtin:link_by_email");
        c.trigger_timeout_ms = Some(100);
    })
    .await;
    let fault = json!({"fault": "trigger", "trigger": "PreSignUp", "delay_ms": 1000});
    let label = set(&idp, fault).await["faults"][0]["label"]
        .as_str()
        .unwrap()
        .to_owned();
    let sdk = common::sdk(&idp.emu.cognito_url);
    let sign_up = || {
        sdk.sign_up()
            .client_id(CLIENT)
            .username("slow@example.com")
            .password("Passw0rd!x")
            .user_attributes(common::attr("email", "slow@example.com"))
            .send()
    };
    let e = sign_up().await.unwrap_err().into_service_error();
    assert_eq!(common::code(&e), "UnexpectedLambdaException");
    assert!(common::message(&e).contains("Task timed out"), "{e:?}");
    let attempts = journal(&idp.emu.cognito_url, "name=PreSignUp_SignUp").await;
    assert_eq!(attempts.len(), 3);
    assert!(
        attempts
            .iter()
            .all(|a| a["detail"]["fault"] == label.as_str())
    );
    assert_journaled(&idp, &label, "PreSignUp_SignUp", false).await;
    clear(&idp).await;
    sign_up().await.unwrap();
}

/// The OTP is lost: the outbox stays empty and the user cannot go on; once cleared, a resent
/// code arrives and the same sign-in completes.
#[tokio::test]
async fn otp_delivery_dropped() {
    let idp = idp_support::start().await;
    let mut device = authenticator(7);
    let label =
        set(&idp, json!({"fault": "otp_delivery", "dropped": true})).await["faults"][0]["label"]
            .as_str()
            .unwrap()
            .to_owned();
    let ix = to_idp(&idp).await;
    let v = idp
        .step(&ix, "identifier", json!({"identifier": "o@example.com"}))
        .await;
    assert_eq!(v["step"], "otp");
    let (_, inbox) = idp
        .get_json("/_emulator/outbox?destination=o@example.com")
        .await;
    assert_eq!(inbox["messages"], json!([]));
    assert_journaled(&idp, &label, "otp.sent", false).await;
    clear(&idp).await;
    idp.clock.advance_secs(60);
    idp.step(&ix, "otp/send", json!({})).await;
    let code = idp.otp("o@example.com").await;
    idp.step(&ix, "otp/verify", json!({"code": code})).await;
    assert_signed_in(&back_to_app(&idp, &ix, &mut device).await);
}

/// The OTP arrives ten minutes late: expired when the user types it, as the IdP says.
#[tokio::test]
async fn otp_delivery_delayed() {
    let idp = idp_support::start().await;
    set(&idp, json!({"fault": "otp_delivery", "delay_secs": 600})).await;
    let ix = to_idp(&idp).await;
    idp.step(&ix, "identifier", json!({"identifier": "d@example.com"}))
        .await;
    let (_, inbox) = idp
        .get_json("/_emulator/outbox?destination=d@example.com")
        .await;
    assert_eq!(inbox["messages"], json!([]));
    idp.clock.advance_secs(600);
    let code = idp.otp("d@example.com").await;
    let (status, error) = idp.step_err(&ix, "otp/verify", json!({"code": code})).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "otp_expired")
    );
    assert_journaled(&idp, "OTP delivery delayed 600 s", "otp.sent", false).await;
    clear(&idp).await;
    let mut device = authenticator(8);
    assert_signed_in(&sign_in(&idp, "d@example.com", &mut device).await);
}

/// A fault the control plane cannot apply is a 400 naming the problem, journaled, and sets
/// nothing; a reset clears the faults.
#[tokio::test]
async fn bad_faults_are_refused_and_a_reset_clears_them() {
    let idp = idp_support::start().await;
    let url = format!("{}/_emulator/faults", idp.emu.cognito_url);
    let http = reqwest::Client::new();
    for (body, want) in [
        (
            "{\"fault\": \"idp_endpoint\", \"endpoint\": \"token\"}",
            "needs status",
        ),
        ("{\"fault\": \"meteor\"}", "unknown variant"),
        ("not json", "expected"),
    ] {
        let r = http.post(&url).body(body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let v: Value = r.json().await.unwrap();
        assert!(v["error"].as_str().unwrap().contains(want), "{v}");
    }
    let refused = journal(&idp.emu.cognito_url, "kind=rejected&name=fault.set").await;
    assert_eq!(refused.len(), 3);
    let v: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["faults"], json!([]));
    set(
        &idp,
        json!({"fault": "clock", "cognito_secs": 60, "idp_secs": 60}),
    )
    .await;
    let r = http
        .post(format!("{}/_emulator/reset", idp.emu.cognito_url))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let v: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["faults"], json!([]));
}
