//! Self-service operations by access token (ChangePassword, UpdateUserAttributes with
//! verification, DeleteUserAttributes, DeleteUser), AdminResetUserPassword,
//! GetTokensFromRefreshToken (with and without rotation), and CORS as browsers need it, through
//! the official AWS SDK for Rust and raw HTTP.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use aws_sdk_cognitoidentityprovider as cip;
use cip::types::AuthFlowType;
use common::{CLIENT, POOL, attr, code, confirmed_user, message, start};

async fn sign_in(
    sdk: &cip::Client,
    username: &str,
    password: &str,
) -> cip::types::AuthenticationResultType {
    let out = common::signin::password_sign_in(sdk, username, password).await;
    out.authentication_result().unwrap().clone()
}

#[tokio::test]
async fn change_password_needs_the_old_one() {
    let emu = start().await;
    let sdk = &emu.sdk;
    confirmed_user(sdk, "cp@example.com", "Passw0rd!").await;
    let t = sign_in(sdk, "cp@example.com", "Passw0rd!").await;
    let access = t.access_token().unwrap();
    let err = sdk
        .change_password()
        .access_token(access)
        .previous_password("nope")
        .proposed_password("Newpassw0rd!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (code(&err), message(&err)),
        (
            "NotAuthorizedException".into(),
            "Incorrect username or password.".into()
        )
    );
    let weak = sdk
        .change_password()
        .access_token(access)
        .previous_password("Passw0rd!")
        .proposed_password("weak")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&weak), "InvalidPasswordException");
    sdk.change_password()
        .access_token(access)
        .previous_password("Passw0rd!")
        .proposed_password("Newpassw0rd!")
        .send()
        .await
        .unwrap();
    sign_in(sdk, "cp@example.com", "Newpassw0rd!").await;
    let old = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "cp@example.com")
        .auth_parameters("PASSWORD", "Passw0rd!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&old), "NotAuthorizedException");
}

#[tokio::test]
async fn a_changed_email_is_verified_by_code_and_the_rest_is_self_service() {
    let emu = start().await;
    let sdk = &emu.sdk;
    let url = emu.url().to_owned();
    confirmed_user(sdk, "old@example.com", "Passw0rd!").await;
    let t = sign_in(sdk, "old@example.com", "Passw0rd!").await;
    let access = t.access_token().unwrap();
    let out = sdk
        .update_user_attributes()
        .access_token(access)
        .user_attributes(attr("email", "new@example.com"))
        .user_attributes(attr("name", "Nova"))
        .send()
        .await
        .unwrap();
    let d = &out.code_delivery_details_list()[0];
    assert_eq!(
        (d.attribute_name(), d.destination()),
        (Some("email"), Some("n***@e***"))
    );
    let attrs = |u: &cip::operation::get_user::GetUserOutput| {
        u.user_attributes()
            .iter()
            .map(|a| (a.name().to_owned(), a.value().unwrap_or("").to_owned()))
            .collect::<std::collections::HashMap<_, _>>()
    };
    let u = sdk.get_user().access_token(access).send().await.unwrap();
    assert_eq!(attrs(&u)["email"], "new@example.com");
    assert_eq!(attrs(&u)["email_verified"], "false");
    let wrong = sdk
        .verify_user_attribute()
        .access_token(access)
        .attribute_name("email")
        .code("000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&wrong), "CodeMismatchException");
    sdk.verify_user_attribute()
        .access_token(access)
        .attribute_name("email")
        .code(common::last_code(&url, "new@example.com").await)
        .send()
        .await
        .unwrap();
    let u = sdk.get_user().access_token(access).send().await.unwrap();
    assert_eq!(attrs(&u)["email_verified"], "true");

    // A code on demand, then the attribute deleted, then the user.
    let c = sdk
        .get_user_attribute_verification_code()
        .access_token(access)
        .attribute_name("email")
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.code_delivery_details().unwrap().delivery_medium(),
        Some(&cip::types::DeliveryMediumType::Email)
    );
    sdk.delete_user_attributes()
        .access_token(access)
        .user_attribute_names("name")
        .send()
        .await
        .unwrap();
    let u = sdk.get_user().access_token(access).send().await.unwrap();
    assert!(!attrs(&u).contains_key("name"));
    let required = sdk
        .delete_user_attributes()
        .access_token(access)
        .user_attribute_names("email")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&required), "InvalidParameterException");
    sdk.delete_user().access_token(access).send().await.unwrap();
    let gone = sdk
        .get_user()
        .access_token(access)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone), "NotAuthorizedException");
    let listed = sdk.list_users().user_pool_id(POOL).send().await.unwrap();
    assert!(listed.users().is_empty());
}

#[tokio::test]
async fn attributes_that_need_verification_keep_the_old_value_until_then() {
    let emu = start().await;
    let sdk = &emu.sdk;
    let url = emu.url().to_owned();
    sdk.update_user_pool()
        .user_pool_id(POOL)
        .auto_verified_attributes(cip::types::VerifiedAttributeType::Email)
        .user_attribute_update_settings(
            cip::types::UserAttributeUpdateSettingsType::builder()
                .attributes_require_verification_before_update(
                    cip::types::VerifiedAttributeType::Email,
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    confirmed_user(sdk, "keep@example.com", "Passw0rd!").await;
    let t = sign_in(sdk, "keep@example.com", "Passw0rd!").await;
    let access = t.access_token().unwrap();
    sdk.update_user_attributes()
        .access_token(access)
        .user_attributes(attr("email", "moved@example.com"))
        .send()
        .await
        .unwrap();
    let email = |u: &cip::operation::get_user::GetUserOutput| {
        u.user_attributes()
            .iter()
            .find(|a| a.name() == "email")
            .unwrap()
            .value()
            .unwrap()
            .to_owned()
    };
    let u = sdk.get_user().access_token(access).send().await.unwrap();
    assert_eq!(
        email(&u),
        "keep@example.com",
        "the old email stays until the new one is verified"
    );
    sdk.verify_user_attribute()
        .access_token(access)
        .attribute_name("email")
        .code(common::last_code(&url, "moved@example.com").await)
        .send()
        .await
        .unwrap();
    let u = sdk.get_user().access_token(access).send().await.unwrap();
    assert_eq!(email(&u), "moved@example.com");
}

#[tokio::test]
async fn admin_reset_requires_a_new_password_through_the_emailed_code() {
    let emu = start().await;
    let sdk = &emu.sdk;
    let url = emu.url().to_owned();
    let username = confirmed_user(sdk, "reset@example.com", "Passw0rd!").await;
    sdk.admin_reset_user_password()
        .user_pool_id(POOL)
        .username(&username)
        .send()
        .await
        .unwrap();
    let err = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "reset@example.com")
        .auth_parameters("PASSWORD", "Passw0rd!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "PasswordResetRequiredException");
    sdk.confirm_forgot_password()
        .client_id(CLIENT)
        .username("reset@example.com")
        .confirmation_code(common::last_code(&url, "reset@example.com").await)
        .password("Another1!")
        .send()
        .await
        .unwrap();
    sign_in(sdk, "reset@example.com", "Another1!").await;
    let missing = sdk
        .admin_reset_user_password()
        .user_pool_id(POOL)
        .username("nobody")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "UserNotFoundException");
}

#[tokio::test]
async fn get_tokens_from_refresh_token_with_and_without_rotation() {
    let emu = start().await;
    let sdk = &emu.sdk;
    confirmed_user(sdk, "rt@example.com", "Passw0rd!").await;
    let t = sign_in(sdk, "rt@example.com", "Passw0rd!").await;
    let refresh = t.refresh_token().unwrap();
    let out = sdk
        .get_tokens_from_refresh_token()
        .client_id(CLIENT)
        .refresh_token(refresh)
        .send()
        .await
        .unwrap();
    let r = out.authentication_result().unwrap();
    assert!(r.id_token().is_some() && r.access_token().is_some());
    assert_eq!(
        r.refresh_token(),
        None,
        "no rotation: the same refresh token stays valid"
    );

    sdk.update_user_pool_client()
        .user_pool_id(POOL)
        .client_id(CLIENT)
        .explicit_auth_flows(cip::types::ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(cip::types::ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .refresh_token_rotation(
            cip::types::RefreshTokenRotationType::builder()
                .feature(cip::types::FeatureType::Enabled)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let rotated = sdk
        .get_tokens_from_refresh_token()
        .client_id(CLIENT)
        .refresh_token(refresh)
        .send()
        .await
        .unwrap();
    let fresh = rotated
        .authentication_result()
        .unwrap()
        .refresh_token()
        .unwrap()
        .to_owned();
    assert_ne!(fresh, refresh);
    let old = sdk
        .get_tokens_from_refresh_token()
        .client_id(CLIENT)
        .refresh_token(refresh)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&old), "NotAuthorizedException");
    sdk.get_tokens_from_refresh_token()
        .client_id(CLIENT)
        .refresh_token(&fresh)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn browsers_get_cors_answers_on_the_api_and_the_token_endpoint() {
    let emu = start().await;
    let http = reqwest::Client::new();
    let pre = http
        .request(reqwest::Method::OPTIONS, emu.url())
        .header("Origin", "http://localhost:3000")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type,x-amz-target,x-amz-user-agent,cache-control",
        )
        .send()
        .await
        .unwrap();
    assert!(pre.status().is_success(), "{}", pre.status());
    let h = pre.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    let allowed = h["access-control-allow-headers"].to_str().unwrap();
    assert!(allowed.contains("x-amz-target"), "{allowed}");
    assert!(
        h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );

    let call = http
        .post(emu.url())
        .header("Origin", "http://localhost:3000")
        .header("X-Amz-Target", "AWSCognitoIdentityProviderService.GetUser")
        .header("Content-Type", "application/x-amz-json-1.1")
        .body(r#"{"AccessToken":"nope"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(call.status(), 400);
    let h = call.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    let exposed = h["access-control-expose-headers"].to_str().unwrap();
    assert!(
        exposed.contains("x-amzn-requestid") && exposed.contains("x-amzn-errortype"),
        "{exposed}"
    );

    let token = http
        .post(format!("{}/oauth2/token", emu.url()))
        .header("Origin", "http://localhost:3000")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_id", CLIENT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        token.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
}

/// An unknown user, through the SDK: with LEGACY, UserNotFoundException everywhere; with
/// PreventUserExistenceErrors ENABLED, ForgotPassword and ResendConfirmationCode answer a
/// simulated delivery (nothing is sent) and the confirmations refuse the code, as for a known
/// user with a wrong one.
#[tokio::test]
async fn unknown_users_are_hidden_when_the_client_prevents_existence_errors() {
    for prevent in [false, true] {
        let mut config = emulator::Config::default_config();
        if prevent {
            config.cognito.pools[0].clients[0].prevent_user_existence_errors =
                Some("ENABLED".into());
        }
        let emu = common::start_with(config).await;
        let sdk = &emu.sdk;
        let who = "ghost@example.com";
        let forgot = sdk
            .forgot_password()
            .client_id(CLIENT)
            .username(who)
            .send()
            .await;
        let resend = sdk
            .resend_confirmation_code()
            .client_id(CLIENT)
            .username(who)
            .send()
            .await;
        let confirm_forgot = sdk
            .confirm_forgot_password()
            .client_id(CLIENT)
            .username(who)
            .confirmation_code("123456")
            .password("N3w-Passw0rd!")
            .send()
            .await;
        let confirm = sdk
            .confirm_sign_up()
            .client_id(CLIENT)
            .username(who)
            .confirmation_code("123456")
            .send()
            .await;
        if !prevent {
            for e in [
                forgot.err().map(|e| code(&e)),
                resend.err().map(|e| code(&e)),
            ] {
                assert_eq!(e.as_deref(), Some("UserNotFoundException"));
            }
            let refused = confirm_forgot.unwrap_err();
            assert_eq!(code(&refused), "UserNotFoundException");
            assert_eq!(
                message(&refused),
                "Username/client id combination not found."
            );
            assert_eq!(code(&confirm.unwrap_err()), "UserNotFoundException");
            continue;
        }
        let sent = forgot.unwrap();
        let delivery = sent.code_delivery_details().unwrap();
        assert_eq!(delivery.destination(), Some("g***@e***"));
        assert_eq!(delivery.attribute_name(), Some("email"));
        let sent = resend.unwrap();
        assert_eq!(
            sent.code_delivery_details().unwrap().destination(),
            Some("g***@e***")
        );
        for e in [
            confirm_forgot
                .unwrap_err()
                .into_service_error()
                .meta()
                .code(),
            confirm.unwrap_err().into_service_error().meta().code(),
        ] {
            assert_eq!(e, Some("CodeMismatchException"));
        }
        let outbox: serde_json::Value = reqwest::get(format!("{}/_emulator/outbox", emu.url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(!outbox.to_string().contains(who), "{outbox}");
    }
}
