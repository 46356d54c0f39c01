//! SRP through the official AWS SDK for Rust: USER_SRP_AUTH and PASSWORD_VERIFIER on
//! InitiateAuth and AdminInitiateAuth, many random passwords, a temporary password's
//! NEW_PASSWORD_REQUIRED after SRP, a client without the flow, and sessions that are single
//! use, expiring, and bound to one user and one client.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use aws_sdk_cognitoidentityprovider as cip;
use cip::types::{AuthFlowType, ChallengeNameType};
use common::signin::*;
use common::{CLIENT, POOL, attr, code, confirmed_user, message};
use emulator::Config;
use emulator::clock::Clock;
use emulator::cognito::signin::srp::Group;
use num_bigint::BigUint;

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
