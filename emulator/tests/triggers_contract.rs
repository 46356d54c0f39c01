//! Cognito's Lambda contract, through the JSON API and the hosted UI: a handler that sleeps
//! past 5 s (three attempts, then UnexpectedLambdaException), one that throws
//! (UserLambdaValidationException, nothing written), autoConfirm/autoVerify flags honoured,
//! pre token generation overrides, and the Runtime Interface Emulator target against wiremock.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod oauth_support;

use emulator::Config;
use oauth_support::*;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{CLIENT, POOL};

const ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:contract";

async fn start(trigger: &str, target: &str) -> common::Emu {
    let mut config = Config::default_config();
    with_trigger(&mut config, trigger, ARN, target);
    common::start_with(config).await
}

async fn sign_up(emu: &common::Emu, email: &str) -> Result<bool, (String, String)> {
    emu.sdk
        .sign_up()
        .client_id(CLIENT)
        .username(email)
        .password("Passw0rd!")
        .user_attributes(common::attr("email", email))
        .send()
        .await
        .map(|o| o.user_confirmed())
        .map_err(|e| (common::code(&e), common::message(&e)))
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

/// A handler Node.js cannot load (a missing dependency) is reported as that, with Node's
/// reason, not as a timeout; nothing is written.
#[tokio::test]
async fn a_handler_that_cannot_be_loaded_is_reported_with_the_loaders_reason() {
    let emu = start(
        "PreSignUp",
        &format!("node:{}", fixture("contract/missing-module.js")),
    )
    .await;
    let (code, message) = sign_up(&emu, "noload@example.com").await.unwrap_err();
    assert_eq!(code, "UnexpectedLambdaException");
    assert!(
        message.contains("could not run")
            && message.contains("Cannot find module 'no-such-module-for-the-emulator-test'"),
        "{message}"
    );
    assert!(!message.contains("timed out"), "{message}");
    assert_eq!(user_count(&emu).await, 0);
}

/// A handler past its time limit is tried three times, then refused as Cognito does. The
/// limit is Cognito's 5 s by default; the test sets 300 ms (`trigger_timeout_ms`) so that it
/// does not wait 15 s.
#[tokio::test]
async fn a_handler_past_its_time_limit_is_tried_three_times() {
    assert_eq!(emulator::Config::default_config().trigger_timeout_ms, None);
    assert_eq!(
        emulator::cognito::triggers::TIMEOUT,
        std::time::Duration::from_secs(5)
    );
    let mut config = Config::default_config();
    with_trigger(
        &mut config,
        "PreSignUp",
        ARN,
        &format!("node:{}", fixture("contract/sleepy.js")),
    );
    config.trigger_timeout_ms = Some(300);
    let emu = common::start_with(config).await;
    let started = std::time::Instant::now();
    let (code, message) = sign_up(&emu, "slow@example.com").await.unwrap_err();
    assert_eq!(code, "UnexpectedLambdaException");
    assert!(
        message.contains("timed out after 0.30 seconds"),
        "{message}"
    );
    assert!(started.elapsed().as_millis() >= 900);
    assert_eq!(user_count(&emu).await, 0);
    let runs = journal(emu.url(), "kind=trigger&name=PreSignUp_SignUp").await;
    let outcomes: Vec<&Value> = runs.iter().map(|r| &r["detail"]["outcome"]).collect();
    assert_eq!(outcomes, [&json!("timeout"); 3]);
    assert_eq!(runs[2]["detail"]["attempt"], 3);
    // The handler's console output is journaled with the attempt that printed it (on a loaded
    // machine the first attempt's 300 ms can pass before Node has run the handler at all).
    assert!(
        runs.iter().any(|r| r["detail"]["logs"]
            .to_string()
            .contains("sleepy invoked for")),
        "{runs:?}"
    );
}

#[tokio::test]
async fn a_handler_that_throws_refuses_the_sign_up() {
    let emu = start(
        "PreSignUp",
        &format!("node:{}", fixture("contract/throws.js")),
    )
    .await;
    let (code, message) = sign_up(&emu, "no@example.com").await.unwrap_err();
    assert_eq!(code, "UserLambdaValidationException");
    assert_eq!(message, "PreSignUp failed with error Sign-up is closed.");
    assert_eq!(user_count(&emu).await, 0);
    let runs = journal(emu.url(), "kind=trigger&name=PreSignUp_SignUp").await;
    assert_eq!(runs.len(), 1, "handler errors are not retried");
    assert!(
        runs[0]["detail"]["logs"].to_string().contains("refusing"),
        "{runs:?}"
    );
    let rejected = journal(emu.url(), "kind=rejected&name=SignUp").await;
    assert_eq!(
        rejected[0]["detail"]["error"],
        "UserLambdaValidationException"
    );
}

#[tokio::test]
async fn auto_confirm_flags_and_pre_token_generation() {
    let target = format!("node:{}", fixture("contract/auto-confirm.js"));
    let mut config = Config::default_config();
    with_trigger(&mut config, "PreSignUp", ARN, &target);
    config.cognito.pools[0]
        .lambda
        .insert("PreTokenGeneration".into(), ARN.into());
    let emu = common::start_with(config).await;
    assert_eq!(sign_up(&emu, "auto@example.com").await, Ok(true));
    let u = emu
        .sdk
        .admin_get_user()
        .user_pool_id(POOL)
        .username("auto@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(u.user_status().unwrap().as_str(), "CONFIRMED");
    let verified = u
        .user_attributes()
        .iter()
        .find(|a| a.name() == "email_verified")
        .and_then(|a| a.value());
    assert_eq!(verified, Some("true"));
    let event =
        &journal(emu.url(), "kind=trigger&name=PreSignUp_SignUp").await[0]["detail"]["event"];
    assert_eq!(event["version"], "1");
    assert_eq!(event["userPoolId"], POOL);
    assert_eq!(event["callerContext"]["clientId"], CLIENT);
    assert_eq!(
        event["request"]["userAttributes"]["email"],
        "auto@example.com"
    );

    // Hosted sign-in: pre token generation adds, overrides and suppresses ID token claims.
    let base = emu.url().to_owned();
    let b = browser();
    let r = b.get(format!("{base}/oauth2/authorize?client_id={CLIENT}&redirect_uri={CALLBACK}&response_type=code&scope=openid+email")).send().await.unwrap();
    let login = location(&r);
    let r = submit_login(&base, &login, "auto@example.com", "Passw0rd!").await;
    let code = params(&location(&r))["code"].clone();
    let t: Value = exchange(&base, CLIENT, &code, None)
        .await
        .json()
        .await
        .unwrap();
    let id = verify(&base, POOL, t["id_token"].as_str().unwrap(), Some(CLIENT)).await;
    assert_eq!(id["tenant"], "acme");
    assert_eq!(id["email"], "override@example.com");
    assert!(!id.contains_key("email_verified"), "{id:?}");
    let generated = journal(&base, "kind=trigger&name=TokenGeneration_HostedAuth").await;
    assert_eq!(generated.len(), 1);
}

#[tokio::test]
async fn runtime_interface_emulator_target() {
    let rie = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2015-03-31/functions/function/invocations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"version": "1", "response": {"autoConfirmUser": true, "autoVerifyEmail": false}})))
        .mount(&rie)
        .await;
    let emu = start("PreSignUp", &rie.uri()).await;
    assert_eq!(sign_up(&emu, "rie@example.com").await, Ok(true));
    let sent = rie.received_requests().await.unwrap();
    let event: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(event["triggerSource"], "PreSignUp_SignUp");
    assert_eq!(event["userName"], "rie@example.com");

    // A function error (RIE's errorMessage body) refuses the sign-up.
    rie.reset().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errorMessage": "blocked domain", "errorType": "Error"})),
        )
        .mount(&rie)
        .await;
    let (code, message) = sign_up(&emu, "rie2@example.com").await.unwrap_err();
    assert_eq!(code, "UserLambdaValidationException");
    assert_eq!(message, "PreSignUp failed with error blocked domain.");
    assert_eq!(user_count(&emu).await, 1);

    // An unreachable target is retried and reported.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let emu = start("PreSignUp", &format!("http://{closed}")).await;
    let (code, _) = sign_up(&emu, "rie3@example.com").await.unwrap_err();
    assert_eq!(code, "UnexpectedLambdaException");
    let runs = journal(emu.url(), "kind=trigger&name=PreSignUp_SignUp").await;
    assert_eq!(
        runs.iter()
            .filter(|r| r["detail"]["outcome"] == "unavailable")
            .count(),
        3
    );
}

#[tokio::test]
async fn admin_create_user_runs_pre_sign_up() {
    let emu = start("PreSignUp", "builtin:link_by_email").await;
    emu.sdk
        .admin_create_user()
        .user_pool_id(POOL)
        .username("admin-made@example.com")
        .user_attributes(common::attr("email", "admin-made@example.com"))
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let runs = journal(emu.url(), "kind=trigger&name=PreSignUp_AdminCreateUser").await;
    assert_eq!(runs.len(), 1);
    assert_eq!(
        runs[0]["detail"]["event"]["callerContext"]["clientId"],
        "CLIENT_ID_NOT_APPLICABLE"
    );
    assert_eq!(
        runs[0]["detail"]["logs"][0],
        "not a sign-in with an external provider"
    );
}

#[tokio::test]
async fn a_trigger_config_that_cannot_run_stops_the_start() {
    let mut config = Config::default_config();
    config.cognito.pools[0].lambda.insert(
        "PreSignUp".into(),
        "arn:aws:lambda:us-east-1:000000000000:function:missing".into(),
    );
    let err = emulator::start(config.with_ephemeral_ports())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("[lambda_functions]"), "{err}");
    let mut config = Config::default_config();
    with_trigger(
        &mut config,
        "PreSignUp",
        ARN,
        "node:/nonexistent/handler.js",
    );
    let err = emulator::start(config.with_ephemeral_ports())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not exist"), "{err}");
}

#[tokio::test]
async fn confirm_sign_up_runs_post_confirmation() {
    let mut config = Config::default_config();
    with_trigger(
        &mut config,
        "PostConfirmation",
        ARN,
        "builtin:link_by_email",
    );
    let emu = common::start_with(config).await;
    assert_eq!(sign_up(&emu, "confirm@example.com").await, Ok(false));
    let outbox: Value = reqwest::get(format!(
        "{}/_emulator/outbox?destination=confirm@example.com",
        emu.url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let code = outbox["messages"][0]["code"].as_str().unwrap().to_owned();
    emu.sdk
        .confirm_sign_up()
        .client_id(CLIENT)
        .username("confirm@example.com")
        .confirmation_code(code)
        .send()
        .await
        .unwrap();
    let runs = journal(
        emu.url(),
        "kind=trigger&name=PostConfirmation_ConfirmSignUp",
    )
    .await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    let event = &runs[0]["detail"]["event"];
    assert_eq!(
        event["request"]["userAttributes"]["cognito:user_status"],
        "CONFIRMED"
    );
    assert_eq!(event["request"]["userAttributes"]["email_verified"], "true");
}
