//! Triggers of the API's sign-ins through the official AWS SDK for Rust: custom auth with a
//! Node.js Lambda (Define/Create/Verify and the session history) and Pre/PostAuthentication.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod oauth_support;

use aws_sdk_cognitoidentityprovider as cip;
use cip::types::{AuthFlowType, ChallengeNameType};
use common::signin::*;
use common::{CLIENT, code, confirmed_user, message};
use emulator::Config;

#[tokio::test]
async fn custom_auth_runs_define_create_and_verify_with_the_session_history() {
    let mut config = Config::default_config();
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:custom";
    let target = format!(
        "node:{}",
        oauth_support::fixture("custom-auth/one-question.js")
    );
    for t in [
        "DefineAuthChallenge",
        "CreateAuthChallenge",
        "VerifyAuthChallengeResponse",
    ] {
        oauth_support::with_trigger(&mut config, t, arn, &target);
    }
    let emu = common::start_with(config).await;
    let sdk = &emu.sdk;
    confirmed_user(sdk, "custom@example.com", "Passw0rd!").await;
    let start = || {
        sdk.initiate_auth()
            .client_id(CLIENT)
            .auth_flow(AuthFlowType::CustomAuth)
            .auth_parameters("USERNAME", "custom@example.com")
            .send()
    };
    let c = start().await.unwrap();
    assert_eq!(
        c.challenge_name(),
        Some(&ChallengeNameType::CustomChallenge)
    );
    assert_eq!(
        c.challenge_parameters().unwrap()["question"],
        "What is 6 x 7?"
    );
    let answer = |a: &str| {
        vec![
            ("USERNAME", "custom@example.com".to_owned()),
            ("ANSWER", a.to_owned()),
        ]
    };
    let wrong = respond(
        sdk,
        ChallengeNameType::CustomChallenge,
        c.session(),
        answer("41"),
    )
    .await
    .unwrap();
    assert_eq!(
        wrong.challenge_name(),
        Some(&ChallengeNameType::CustomChallenge),
        "a second question"
    );
    let right = respond(
        sdk,
        ChallengeNameType::CustomChallenge,
        wrong.session(),
        answer("42"),
    )
    .await
    .unwrap();
    assert!(right.authentication_result().is_some());

    // Three wrong answers: DefineAuthChallenge fails the sign-in.
    let mut session = start().await.unwrap().session().map(str::to_owned);
    for _ in 0..2 {
        let next = respond(
            sdk,
            ChallengeNameType::CustomChallenge,
            session.as_deref(),
            answer("0"),
        )
        .await
        .unwrap();
        session = next.session().map(str::to_owned);
    }
    let last = respond(
        sdk,
        ChallengeNameType::CustomChallenge,
        session.as_deref(),
        answer("0"),
    )
    .await;
    assert_eq!(
        last.unwrap_err(),
        (
            "NotAuthorizedException".into(),
            "Incorrect username or password.".into()
        )
    );
    let define = oauth_support::journal(
        emu.url(),
        "kind=trigger&name=DefineAuthChallenge_Authentication",
    )
    .await;
    let last = define.last().unwrap();
    assert_eq!(
        last["detail"]["event"]["request"]["session"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        last["detail"]["event"]["request"]["session"][0]["challengeMetadata"],
        "QUESTION-1"
    );
    // The expected answer and the user's answers stay out of the journal.
    let url = emu.url();
    let verify = oauth_support::journal(
        url,
        "kind=trigger&name=VerifyAuthChallengeResponse_Authentication",
    );
    let request = &verify.await[0]["detail"]["event"]["request"];
    assert_eq!(request["challengeAnswer"], "***");
    assert_eq!(request["privateChallengeParameters"], "***");
    let create =
        oauth_support::journal(url, "kind=trigger&name=CreateAuthChallenge_Authentication").await;
    assert_eq!(
        create[0]["detail"]["response"]["privateChallengeParameters"],
        "***"
    );
}

#[tokio::test]
async fn api_sign_ins_run_pre_and_post_authentication() {
    let mut config = Config::default_config();
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:gate";
    let target = format!("node:{}", oauth_support::fixture("contract/auth-gate.js"));
    for t in ["PreAuthentication", "PostAuthentication"] {
        oauth_support::with_trigger(&mut config, t, arn, &target);
    }
    let emu = common::start_with(config).await;
    let sdk = &emu.sdk;
    confirmed_user(sdk, "fine@example.com", "Passw0rd!").await;
    confirmed_user(sdk, "blocked@example.com", "Passw0rd!").await;
    password_sign_in(sdk, "fine@example.com", "Passw0rd!").await;
    let err = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "blocked@example.com")
        .auth_parameters("PASSWORD", "Passw0rd!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (code(&err), message(&err)),
        (
            "UserLambdaValidationException".into(),
            "PreAuthentication failed with error This account is blocked.".into()
        )
    );
    let pre = oauth_support::journal(
        emu.url(),
        "kind=trigger&name=PreAuthentication_Authentication",
    )
    .await;
    let post = oauth_support::journal(
        emu.url(),
        "kind=trigger&name=PostAuthentication_Authentication",
    )
    .await;
    assert_eq!((pre.len(), post.len()), (2, 1));
}
