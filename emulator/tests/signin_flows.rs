//! The sign-in core through the official AWS SDK for Rust: SRP (USER_SRP_AUTH and
//! PASSWORD_VERIFIER, on InitiateAuth and AdminInitiateAuth), NEW_PASSWORD_REQUIRED after
//! SRP, single-use and expiring sessions, TOTP/SMS/email MFA, MFA_SETUP, custom auth with a
//! Node.js Lambda, and Pre/PostAuthentication on the API's sign-ins. (The real JavaScript
//! clients are driven by `js_clients.rs`.)
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod oauth_support;

use std::sync::Arc;

use aws_sdk_cognitoidentityprovider as cip;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use cip::types::{AuthFlowType, ChallengeNameType, SoftwareTokenMfaSettingsType};
use common::{CLIENT, POOL, attr, code, confirmed_user, message};
use emulator::clock::{Clock, ManualClock};
use emulator::cognito::signin::srp::{self, Group};
use emulator::cognito::signin::totp;
use emulator::{Config, Options};
use num_bigint::BigUint;

/// The default config on a manual clock.
async fn start_at(clock: Arc<ManualClock>, config: Config) -> common::Emu {
    let options = Options {
        clock,
        ..Options::default()
    };
    let running = emulator::start_with(config.with_ephemeral_ports(), options)
        .await
        .unwrap();
    let sdk = common::sdk(&running.cognito_url);
    common::Emu { running, sdk }
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(1_800_000_000_000))
}

/// The client's side of SRP, from the PASSWORD_VERIFIER challenge's parameters: the
/// ChallengeResponses that prove `password`.
fn prove(
    a: &BigUint,
    params: &std::collections::HashMap<String, String>,
    password: &str,
    now_secs: i64,
) -> Vec<(&'static str, String)> {
    let group = Group::default();
    let user_id = &params["USER_ID_FOR_SRP"];
    let b = BigUint::parse_bytes(params["SRP_B"].as_bytes(), 16).unwrap();
    let salt = BigUint::parse_bytes(params["SALT"].as_bytes(), 16).unwrap();
    let pool_name = srp::pool_name(POOL);
    let key = group
        .client_session_key(a, &b, &salt, pool_name, user_id, password)
        .unwrap();
    let block = B64.decode(&params["SECRET_BLOCK"]).unwrap();
    let ts = srp::timestamp(now_secs);
    let sig = srp::claim_signature(&key, pool_name, user_id, &block, &ts);
    vec![
        ("USERNAME", user_id.clone()),
        (
            "PASSWORD_CLAIM_SECRET_BLOCK",
            params["SECRET_BLOCK"].clone(),
        ),
        ("TIMESTAMP", ts),
        ("PASSWORD_CLAIM_SIGNATURE", B64.encode(sig.as_ref())),
    ]
}

fn a_secret(seed: u8) -> BigUint {
    BigUint::from_bytes_be(&[seed.max(1); 128])
}

async fn srp_challenge(
    sdk: &cip::Client,
    username: &str,
    a: &BigUint,
) -> cip::operation::initiate_auth::InitiateAuthOutput {
    sdk.initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("SRP_A", Group::default().public_a(a).to_str_radix(16))
        .send()
        .await
        .unwrap()
}

async fn respond(
    sdk: &cip::Client,
    name: ChallengeNameType,
    session: Option<&str>,
    responses: Vec<(&'static str, String)>,
) -> Result<cip::operation::respond_to_auth_challenge::RespondToAuthChallengeOutput, (String, String)>
{
    let mut req = sdk
        .respond_to_auth_challenge()
        .client_id(CLIENT)
        .challenge_name(name)
        .set_session(session.map(str::to_owned));
    for (k, v) in responses {
        req = req.challenge_responses(k, v);
    }
    req.send().await.map_err(|e| (code(&e), message(&e)))
}

#[tokio::test]
async fn srp_signs_in_and_refuses_wrong_passwords_and_reused_blocks() {
    let clock = clock();
    let emu = start_at(clock.clone(), Config::default_config()).await;
    let sdk = &emu.sdk;
    let username = confirmed_user(sdk, "srp@example.com", "Passw0rd!").await;
    let now = clock.now_secs();

    let a = a_secret(7);
    let out = srp_challenge(sdk, "srp@example.com", &a).await;
    assert_eq!(
        out.challenge_name(),
        Some(&ChallengeNameType::PasswordVerifier)
    );
    let p = out.challenge_parameters().unwrap().clone();
    assert_eq!(
        p["USER_ID_FOR_SRP"], username,
        "the internal username, not the alias"
    );
    let ok = respond(
        sdk,
        ChallengeNameType::PasswordVerifier,
        None,
        prove(&a, &p, "Passw0rd!", now),
    )
    .await
    .unwrap();
    assert!(
        ok.authentication_result()
            .unwrap()
            .refresh_token()
            .is_some()
    );

    // The block was spent: the same proof again is refused.
    let again = respond(
        sdk,
        ChallengeNameType::PasswordVerifier,
        None,
        prove(&a, &p, "Passw0rd!", now),
    )
    .await;
    assert_eq!(
        again.unwrap_err(),
        (
            "NotAuthorizedException".into(),
            "Invalid session for the user.".into()
        )
    );

    let out = srp_challenge(sdk, "srp@example.com", &a).await;
    let p = out.challenge_parameters().unwrap().clone();
    let wrong = respond(
        sdk,
        ChallengeNameType::PasswordVerifier,
        None,
        prove(&a, &p, "Passw0rd?", now),
    )
    .await;
    assert_eq!(
        wrong.unwrap_err(),
        (
            "NotAuthorizedException".into(),
            "Incorrect username or password.".into()
        )
    );

    // Expired: the client's AuthSessionValidity is 3 minutes.
    let out = srp_challenge(sdk, "srp@example.com", &a).await;
    let p = out.challenge_parameters().unwrap().clone();
    clock.advance_secs(181);
    let late = respond(
        sdk,
        ChallengeNameType::PasswordVerifier,
        None,
        prove(&a, &p, "Passw0rd!", now),
    )
    .await;
    assert_eq!(
        late.unwrap_err(),
        (
            "NotAuthorizedException".into(),
            "Invalid session for the user, session is expired.".into()
        )
    );

    let zero = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", "srp@example.com")
        .auth_parameters("SRP_A", "0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&zero), "InvalidParameterException");
}

#[tokio::test]
async fn srp_works_for_many_random_passwords_and_through_admin_initiate_auth() {
    let clock = clock();
    let emu = start_at(clock.clone(), Config::default_config()).await;
    let sdk = &emu.sdk;
    // Random-looking passwords and secrets: padding bugs fail about 1 in 256.
    for i in 0u8..40 {
        let email = format!("many{i}@example.com");
        let tail = ["é€ñ", "x y", "#%&", "Ωmega"][i as usize % 4];
        let password = format!("Pw{i}!{tail}{}", u32::from(i).wrapping_mul(2_654_435_761));
        confirmed_user(sdk, &email, &password).await;
        let a = BigUint::from_bytes_be(&[i.wrapping_mul(31).wrapping_add(3); 128])
            + BigUint::from(i as u32 * 7919);
        let out = sdk
            .admin_initiate_auth()
            .user_pool_id(POOL)
            .client_id(CLIENT)
            .auth_flow(AuthFlowType::UserSrpAuth)
            .auth_parameters("USERNAME", &email)
            .auth_parameters("SRP_A", Group::default().public_a(&a).to_str_radix(16))
            .send()
            .await
            .unwrap();
        let p = out.challenge_parameters().unwrap().clone();
        let mut req = sdk
            .admin_respond_to_auth_challenge()
            .user_pool_id(POOL)
            .client_id(CLIENT)
            .challenge_name(ChallengeNameType::PasswordVerifier);
        for (k, v) in prove(&a, &p, &password, clock.now_secs()) {
            req = req.challenge_responses(k, v);
        }
        let r = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{email}: {e:?}"));
        assert!(r.authentication_result().is_some(), "{email}");
    }
}

#[tokio::test]
async fn a_client_without_the_flow_refuses_it() {
    let emu = common::start().await;
    let pool_client = emu
        .sdk
        .create_user_pool_client()
        .user_pool_id(POOL)
        .client_name("password-only")
        .explicit_auth_flows(cip::types::ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .send()
        .await
        .unwrap();
    let id = pool_client.user_pool_client().unwrap().client_id().unwrap();
    let err = emu
        .sdk
        .initiate_auth()
        .client_id(id)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", "x@example.com")
        .auth_parameters("SRP_A", "abc")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (code(&err), message(&err)),
        (
            "InvalidParameterException".into(),
            "USER_SRP_AUTH flow not enabled for this client".into()
        )
    );
}

#[tokio::test]
async fn a_temporary_password_through_srp_asks_for_a_new_one_once() {
    let clock = clock();
    let emu = start_at(clock.clone(), Config::default_config()).await;
    let sdk = &emu.sdk;
    sdk.admin_create_user()
        .user_pool_id(POOL)
        .username("temp@example.com")
        .temporary_password("Temp0rary!")
        .user_attributes(attr("email", "temp@example.com"))
        .send()
        .await
        .unwrap();
    let a = a_secret(11);
    let out = srp_challenge(sdk, "temp@example.com", &a).await;
    let p = out.challenge_parameters().unwrap().clone();
    let r = respond(
        sdk,
        ChallengeNameType::PasswordVerifier,
        None,
        prove(&a, &p, "Temp0rary!", clock.now_secs()),
    )
    .await
    .unwrap();
    assert_eq!(
        r.challenge_name(),
        Some(&ChallengeNameType::NewPasswordRequired)
    );
    let session = r.session().unwrap().to_owned();
    let answer = || {
        vec![
            ("USERNAME", "temp@example.com".to_owned()),
            ("NEW_PASSWORD", "Permanent1!".to_owned()),
        ]
    };
    let done = respond(
        sdk,
        ChallengeNameType::NewPasswordRequired,
        Some(&session),
        answer(),
    )
    .await
    .unwrap();
    assert!(done.authentication_result().is_some());
    let reused = respond(
        sdk,
        ChallengeNameType::NewPasswordRequired,
        Some(&session),
        answer(),
    )
    .await;
    assert_eq!(reused.unwrap_err().1, "Invalid session for the user.");
    // The new password works with SRP (its verifier was made when it was set).
    let out = srp_challenge(sdk, "temp@example.com", &a).await;
    let p = out.challenge_parameters().unwrap().clone();
    let r = respond(
        sdk,
        ChallengeNameType::PasswordVerifier,
        None,
        prove(&a, &p, "Permanent1!", clock.now_secs()),
    )
    .await
    .unwrap();
    assert!(r.authentication_result().is_some());
}

async fn password_sign_in(
    sdk: &cip::Client,
    username: &str,
    password: &str,
) -> cip::operation::initiate_auth::InitiateAuthOutput {
    sdk.initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .unwrap()
}

async fn enable_pool_mfa(sdk: &cip::Client, mode: cip::types::UserPoolMfaType) {
    sdk.set_user_pool_mfa_config()
        .user_pool_id(POOL)
        .mfa_configuration(mode)
        .software_token_mfa_configuration(
            cip::types::SoftwareTokenMfaConfigType::builder()
                .enabled(true)
                .build(),
        )
        .sms_mfa_configuration(cip::types::SmsMfaConfigType::builder().build())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn totp_is_set_up_verified_and_then_asked_for_once_per_code() {
    let clock = clock();
    let emu = start_at(clock.clone(), Config::default_config()).await;
    let sdk = &emu.sdk;
    confirmed_user(sdk, "totp@example.com", "Passw0rd!").await;
    enable_pool_mfa(sdk, cip::types::UserPoolMfaType::Optional).await;
    let tokens = password_sign_in(sdk, "totp@example.com", "Passw0rd!").await;
    let access = tokens
        .authentication_result()
        .unwrap()
        .access_token()
        .unwrap();

    let secret = sdk
        .associate_software_token()
        .access_token(access)
        .send()
        .await
        .unwrap()
        .secret_code()
        .unwrap()
        .to_owned();
    let key = totp::from_base32(&secret).unwrap();
    let wrong = sdk
        .verify_software_token()
        .access_token(access)
        .user_code("000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&wrong), "EnableSoftwareTokenMFAException");
    let now = clock.now_secs();
    let v = sdk
        .verify_software_token()
        .access_token(access)
        .user_code(totp::code(&key, now / 30))
        .send()
        .await
        .unwrap();
    assert_eq!(
        v.status(),
        Some(&cip::types::VerifySoftwareTokenResponseType::Success)
    );
    sdk.set_user_mfa_preference()
        .access_token(access)
        .software_token_mfa_settings(
            SoftwareTokenMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let user = sdk.get_user().access_token(access).send().await.unwrap();
    assert_eq!(user.preferred_mfa_setting(), Some("SOFTWARE_TOKEN_MFA"));

    clock.advance_secs(60);
    let c = password_sign_in(sdk, "totp@example.com", "Passw0rd!").await;
    assert_eq!(
        c.challenge_name(),
        Some(&ChallengeNameType::SoftwareTokenMfa)
    );
    let session = c.session().unwrap().to_owned();
    let answer = |code: String| {
        vec![
            ("USERNAME", "totp@example.com".to_owned()),
            ("SOFTWARE_TOKEN_MFA_CODE", code),
        ]
    };
    let bad = respond(
        sdk,
        ChallengeNameType::SoftwareTokenMfa,
        Some(&session),
        answer("123456".into()),
    )
    .await;
    assert_eq!(bad.unwrap_err().0, "CodeMismatchException");
    let good_code = totp::code(&key, clock.now_secs() / 30);
    let ok = respond(
        sdk,
        ChallengeNameType::SoftwareTokenMfa,
        Some(&session),
        answer(good_code.clone()),
    )
    .await
    .unwrap();
    assert!(
        ok.authentication_result().is_some(),
        "a wrong code leaves the session for a retry"
    );
    // The same code cannot be used twice.
    let c = password_sign_in(sdk, "totp@example.com", "Passw0rd!").await;
    let replay = respond(
        sdk,
        ChallengeNameType::SoftwareTokenMfa,
        c.session(),
        answer(good_code),
    )
    .await;
    assert_eq!(replay.unwrap_err().0, "CodeMismatchException");
}

#[tokio::test]
async fn required_mfa_sets_up_an_app_during_sign_in() {
    let clock = clock();
    let emu = start_at(clock.clone(), Config::default_config()).await;
    let sdk = &emu.sdk;
    confirmed_user(sdk, "setup@example.com", "Passw0rd!").await;
    sdk.set_user_pool_mfa_config()
        .user_pool_id(POOL)
        .mfa_configuration(cip::types::UserPoolMfaType::On)
        .software_token_mfa_configuration(
            cip::types::SoftwareTokenMfaConfigType::builder()
                .enabled(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let c = password_sign_in(sdk, "setup@example.com", "Passw0rd!").await;
    assert_eq!(c.challenge_name(), Some(&ChallengeNameType::MfaSetup));
    assert_eq!(
        c.challenge_parameters().unwrap()["MFAS_CAN_SETUP"],
        "[\"SOFTWARE_TOKEN_MFA\"]"
    );
    let a = sdk
        .associate_software_token()
        .session(c.session().unwrap())
        .send()
        .await
        .unwrap();
    let key = totp::from_base32(a.secret_code().unwrap()).unwrap();
    let v = sdk
        .verify_software_token()
        .session(a.session().unwrap())
        .user_code(totp::code(&key, clock.now_secs() / 30))
        .send()
        .await
        .unwrap();
    let done = respond(
        sdk,
        ChallengeNameType::MfaSetup,
        v.session(),
        vec![("USERNAME", "setup@example.com".into())],
    )
    .await
    .unwrap();
    assert!(done.authentication_result().is_some());
    // Next time: the app's code.
    let c = password_sign_in(sdk, "setup@example.com", "Passw0rd!").await;
    assert_eq!(
        c.challenge_name(),
        Some(&ChallengeNameType::SoftwareTokenMfa)
    );
}

#[tokio::test]
async fn sms_mfa_codes_go_to_the_outbox_and_a_session_allows_three_tries() {
    let emu = common::start().await;
    let sdk = &emu.sdk;
    let url = emu.url().to_owned();
    let username = confirmed_user(sdk, "sms@example.com", "Passw0rd!").await;
    sdk.admin_update_user_attributes()
        .user_pool_id(POOL)
        .username(&username)
        .user_attributes(attr("phone_number", "+15550100"))
        .send()
        .await
        .unwrap();
    enable_pool_mfa(sdk, cip::types::UserPoolMfaType::Optional).await;
    sdk.admin_set_user_mfa_preference()
        .user_pool_id(POOL)
        .username(&username)
        .sms_mfa_settings(
            cip::types::SmsMfaSettingsType::builder()
                .enabled(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let c = password_sign_in(sdk, "sms@example.com", "Passw0rd!").await;
    assert_eq!(c.challenge_name(), Some(&ChallengeNameType::SmsMfa));
    let p = c.challenge_parameters().unwrap();
    assert_eq!(p["CODE_DELIVERY_DELIVERY_MEDIUM"], "SMS");
    assert_eq!(p["CODE_DELIVERY_DESTINATION"], "+****0100");
    let sent: serde_json::Value =
        reqwest::get(format!("{url}/_emulator/outbox?destination=%2B15550100"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let code_sent = sent["messages"][0]["code"].as_str().unwrap().to_owned();
    let answer = |c: &str| {
        vec![
            ("USERNAME", "sms@example.com".to_owned()),
            ("SMS_MFA_CODE", c.to_owned()),
        ]
    };
    for _ in 0..3 {
        let bad = respond(
            sdk,
            ChallengeNameType::SmsMfa,
            c.session(),
            answer("000000"),
        )
        .await;
        assert_eq!(bad.unwrap_err().0, "CodeMismatchException");
    }
    let spent = respond(
        sdk,
        ChallengeNameType::SmsMfa,
        c.session(),
        answer(&code_sent),
    )
    .await;
    assert_eq!(
        spent.unwrap_err().1,
        "Invalid session for the user.",
        "three tries spend it"
    );
    let c = password_sign_in(sdk, "sms@example.com", "Passw0rd!").await;
    let sent: serde_json::Value =
        reqwest::get(format!("{url}/_emulator/outbox?destination=%2B15550100"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let code_sent = sent["messages"].as_array().unwrap().last().unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let ok = respond(
        sdk,
        ChallengeNameType::SmsMfa,
        c.session(),
        answer(&code_sent),
    )
    .await;
    assert!(ok.unwrap().authentication_result().is_some());
}

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

#[tokio::test]
async fn sessions_belong_to_one_user_and_one_client() {
    let emu = common::start().await;
    let sdk = &emu.sdk;
    confirmed_user(sdk, "other@example.com", "Passw0rd!").await;
    sdk.admin_create_user()
        .user_pool_id(POOL)
        .username("owner@example.com")
        .temporary_password("Temp0rary!")
        .user_attributes(attr("email", "owner@example.com"))
        .send()
        .await
        .unwrap();
    let c = password_sign_in(sdk, "owner@example.com", "Temp0rary!").await;
    let session = c.session().unwrap().to_owned();
    let answer = |who: &str| {
        vec![
            ("USERNAME", who.to_owned()),
            ("NEW_PASSWORD", "Permanent1!".to_owned()),
        ]
    };
    let cross = respond(
        sdk,
        ChallengeNameType::NewPasswordRequired,
        Some(&session),
        answer("other@example.com"),
    )
    .await;
    assert_eq!(
        cross.unwrap_err(),
        (
            "NotAuthorizedException".into(),
            "Invalid session for the user.".into()
        )
    );

    let c = password_sign_in(sdk, "owner@example.com", "Temp0rary!").await;
    let other_client = sdk
        .create_user_pool_client()
        .user_pool_id(POOL)
        .client_name("second")
        .send()
        .await
        .unwrap();
    let err = sdk
        .respond_to_auth_challenge()
        .client_id(
            other_client
                .user_pool_client()
                .unwrap()
                .client_id()
                .unwrap(),
        )
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(c.session().unwrap())
        .challenge_responses("USERNAME", "owner@example.com")
        .challenge_responses("NEW_PASSWORD", "Permanent1!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (code(&err), message(&err)),
        (
            "NotAuthorizedException".into(),
            "Invalid session for the user.".into()
        )
    );
    let forged = respond(
        sdk,
        ChallengeNameType::NewPasswordRequired,
        Some("forged"),
        answer("owner@example.com"),
    )
    .await;
    assert_eq!(forged.unwrap_err().1, "Invalid session for the user.");
}

#[tokio::test]
async fn a_remembered_device_signs_in_with_device_srp_and_is_managed_by_token() {
    let clock = clock();
    let emu = start_at(clock.clone(), Config::default_config()).await;
    let sdk = &emu.sdk;
    sdk.update_user_pool()
        .user_pool_id(POOL)
        .auto_verified_attributes(cip::types::VerifiedAttributeType::Email)
        .device_configuration(
            cip::types::DeviceConfigurationType::builder()
                .challenge_required_on_new_device(false)
                .device_only_remembered_on_user_prompt(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let username = confirmed_user(sdk, "dev@example.com", "Passw0rd!").await;
    let t = password_sign_in(sdk, "dev@example.com", "Passw0rd!").await;
    let result = t.authentication_result().unwrap();
    let meta = result
        .new_device_metadata()
        .expect("NewDeviceMetadata with tracking on");
    let (key, group_key) = (
        meta.device_key().unwrap().to_owned(),
        meta.device_group_key().unwrap().to_owned(),
    );
    let access = result.access_token().unwrap().to_owned();

    // The device's secret: its verifier goes to ConfirmDevice, as the clients compute it.
    let secret = "device-random-password";
    let v = Group::default().verifier(&[0x80; 16], &group_key, &key, secret);
    let confirmed = sdk
        .confirm_device()
        .access_token(&access)
        .device_key(&key)
        .device_name("test rig")
        .device_secret_verifier_config(
            cip::types::DeviceSecretVerifierConfigType::builder()
                .password_verifier(B64.encode(srp::pad(&v.v)))
                .salt(B64.encode(srp::pad(&v.salt)))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(!confirmed.user_confirmation_necessary());
    let listed = sdk
        .list_devices()
        .access_token(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.devices()[0].device_key(), Some(key.as_str()));

    // SRP with the device: DEVICE_SRP_AUTH, then DEVICE_PASSWORD_VERIFIER.
    let a = a_secret(21);
    let out = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", "dev@example.com")
        .auth_parameters("SRP_A", Group::default().public_a(&a).to_str_radix(16))
        .auth_parameters("DEVICE_KEY", &key)
        .send()
        .await
        .unwrap();
    let p = out.challenge_parameters().unwrap().clone();
    let r = respond(
        sdk,
        ChallengeNameType::PasswordVerifier,
        None,
        prove(&a, &p, "Passw0rd!", clock.now_secs()),
    )
    .await
    .unwrap();
    assert_eq!(r.challenge_name(), Some(&ChallengeNameType::DeviceSrpAuth));
    let da = a_secret(22);
    let group = Group::default();
    let d = respond(
        sdk,
        ChallengeNameType::DeviceSrpAuth,
        r.session(),
        vec![
            ("USERNAME", username.clone()),
            ("DEVICE_KEY", key.clone()),
            ("SRP_A", group.public_a(&da).to_str_radix(16)),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        d.challenge_name(),
        Some(&ChallengeNameType::DevicePasswordVerifier)
    );
    let dp = d.challenge_parameters().unwrap();
    let b = BigUint::parse_bytes(dp["SRP_B"].as_bytes(), 16).unwrap();
    let salt = BigUint::parse_bytes(dp["SALT"].as_bytes(), 16).unwrap();
    let shared = group
        .client_session_key(&da, &b, &salt, &group_key, &key, secret)
        .unwrap();
    let ts = srp::timestamp(clock.now_secs());
    let block = B64.decode(&dp["SECRET_BLOCK"]).unwrap();
    let sig = srp::claim_signature(&shared, &group_key, &key, &block, &ts);
    let done = respond(
        sdk,
        ChallengeNameType::DevicePasswordVerifier,
        d.session(),
        vec![
            ("USERNAME", username.clone()),
            ("DEVICE_KEY", key.clone()),
            ("PASSWORD_CLAIM_SECRET_BLOCK", dp["SECRET_BLOCK"].clone()),
            ("TIMESTAMP", ts),
            ("PASSWORD_CLAIM_SIGNATURE", B64.encode(sig.as_ref())),
        ],
    )
    .await
    .unwrap();
    let tokens = done.authentication_result().unwrap();
    assert!(
        tokens.new_device_metadata().is_none(),
        "a known device gets no new metadata"
    );
    let payload = tokens.access_token().unwrap().split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["device_key"], key.as_str());

    // Unknown devices, bad statuses, and forgetting.
    let missing = sdk
        .get_device()
        .access_token(&access)
        .device_key("us-east-1_nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (code(&missing), message(&missing)),
        (
            "ResourceNotFoundException".into(),
            "Device does not exist.".into()
        )
    );
    sdk.admin_update_device_status()
        .user_pool_id(POOL)
        .username(&username)
        .device_key(&key)
        .device_remembered_status(cip::types::DeviceRememberedStatusType::NotRemembered)
        .send()
        .await
        .unwrap();
    let got = sdk
        .admin_get_device()
        .user_pool_id(POOL)
        .username(&username)
        .device_key(&key)
        .send()
        .await
        .unwrap();
    let status = got
        .device()
        .unwrap()
        .device_attributes()
        .iter()
        .find(|a| a.name() == "dev:device_remembered_status");
    assert_eq!(status.unwrap().value(), Some("not_remembered"));
    sdk.forget_device()
        .access_token(&access)
        .device_key(&key)
        .send()
        .await
        .unwrap();
    let listed = sdk
        .admin_list_devices()
        .user_pool_id(POOL)
        .username(&username)
        .send()
        .await
        .unwrap();
    assert!(listed.devices().is_empty());
}
