//! MFA through the official AWS SDK for Rust: TOTP set up, verified and asked for once per
//! code; MFA_SETUP when the pool requires MFA; SMS codes in the outbox with three tries per
//! session.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use aws_sdk_cognitoidentityprovider as cip;
use cip::types::ChallengeNameType;
use cip::types::SoftwareTokenMfaSettingsType;
use common::signin::*;
use common::{POOL, attr, code, confirmed_user};
use emulator::Config;
use emulator::clock::Clock;
use emulator::cognito::signin::totp;

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
    let code_sent = common::last_code(&url, "+15550100").await;
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
    let code_sent = common::last_code(&url, "+15550100").await;
    let ok = respond(
        sdk,
        ChallengeNameType::SmsMfa,
        c.session(),
        answer(&code_sent),
    )
    .await;
    assert!(ok.unwrap().authentication_result().is_some());
}
