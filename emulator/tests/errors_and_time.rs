//! The remaining documented errors, including those that need time to pass (expired codes,
//! temporary passwords and refresh tokens), driven with an injected clock.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::types::{
    AliasAttributeType, AuthFlowType, DeletionProtectionType, MessageActionType,
    SchemaAttributeType,
};
use common::{CLIENT, POOL, attr, code, confirmed_user, message, sdk};
use emulator::clock::ManualClock;
use emulator::{Config, Options};

const DAY: i64 = 86_400;

async fn start_at(
    clock: Arc<ManualClock>,
) -> (emulator::Running, aws_sdk_cognitoidentityprovider::Client) {
    let options = Options {
        clock,
        ..Options::default()
    };
    let running = emulator::start_with(Config::default_config().with_ephemeral_ports(), options)
        .await
        .unwrap();
    let client = sdk(&running.cognito_url);
    (running, client)
}

#[tokio::test]
async fn codes_temporary_passwords_and_refresh_tokens_expire() {
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let (running, sdk) = start_at(clock.clone()).await;
    let url = running.cognito_url.clone();

    sdk.sign_up()
        .client_id(CLIENT)
        .username("exp@example.com")
        .password("Passw0rd!")
        .send()
        .await
        .unwrap();
    let c = common::last_code(&url, "exp@example.com").await;
    clock.advance_secs(DAY + 1);
    let err = sdk
        .confirm_sign_up()
        .client_id(CLIENT)
        .username("exp@example.com")
        .confirmation_code(c)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (code(&err), message(&err)),
        (
            "ExpiredCodeException".into(),
            "Invalid code provided, please request a code again.".into()
        )
    );

    sdk.admin_create_user()
        .user_pool_id(POOL)
        .username("tmp@example.com")
        .temporary_password("Temp0rary!")
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    clock.advance_secs(8 * DAY);
    let err = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "tmp@example.com")
        .auth_parameters("PASSWORD", "Temp0rary!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "Temporary password has expired and must be reset by an administrator."
    );

    confirmed_user(&sdk, "ref@example.com", "Passw0rd!").await;
    let out = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "ref@example.com")
        .auth_parameters("PASSWORD", "Passw0rd!")
        .send()
        .await
        .unwrap();
    let refresh = out
        .authentication_result()
        .unwrap()
        .refresh_token()
        .unwrap()
        .to_owned();
    let access = out
        .authentication_result()
        .unwrap()
        .access_token()
        .unwrap()
        .to_owned();
    clock.advance_secs(3601);
    let err = sdk
        .get_user()
        .access_token(&access)
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&err), "Access Token has expired");
    clock.advance_secs(30 * DAY);
    let err = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", refresh)
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&err), "Refresh Token has expired");
}

#[tokio::test]
async fn remaining_documented_errors() {
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let (_running, sdk) = start_at(clock).await;

    let pool = sdk
        .create_user_pool()
        .pool_name("guarded")
        .deletion_protection(DeletionProtectionType::Active)
        .send()
        .await
        .unwrap();
    let id = pool.user_pool().unwrap().id().unwrap().to_owned();
    let err = sdk
        .delete_user_pool()
        .user_pool_id(&id)
        .send()
        .await
        .unwrap_err();
    assert!(
        message(&err).contains("deletion protection"),
        "{}",
        message(&err)
    );
    let tier = SchemaAttributeType::builder().name("tier").build();
    sdk.add_custom_attributes()
        .user_pool_id(&id)
        .custom_attributes(tier.clone())
        .send()
        .await
        .unwrap();
    let err = sdk
        .add_custom_attributes()
        .user_pool_id(&id)
        .custom_attributes(tier)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");

    let err = sdk
        .get_identity_provider_by_identifier()
        .user_pool_id(POOL)
        .idp_identifier("nobody.example")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    let err = sdk
        .describe_resource_server()
        .user_pool_id(POOL)
        .identifier("https://none.example")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");

    confirmed_user(&sdk, "done@example.com", "Passw0rd!").await;
    let err = sdk
        .resend_confirmation_code()
        .client_id(CLIENT)
        .username("done@example.com")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    let err = sdk
        .admin_create_user()
        .user_pool_id(POOL)
        .username("done@example.com")
        .message_action(MessageActionType::Resend)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UnsupportedUserStateException");

    // A client with a secret wants SECRET_HASH.
    let c = sdk
        .create_user_pool_client()
        .user_pool_id(POOL)
        .client_name("confidential")
        .generate_secret(true)
        .send()
        .await
        .unwrap();
    let cid = c
        .user_pool_client()
        .unwrap()
        .client_id()
        .unwrap()
        .to_owned();
    let err = sdk
        .sign_up()
        .client_id(&cid)
        .username("s@example.com")
        .password("Passw0rd!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (code(&err), message(&err)),
        (
            "NotAuthorizedException".into(),
            format!("Client {cid} is configured with secret but SECRET_HASH was not received")
        )
    );

    // Verified aliases are unique: AliasExistsException, unless ForceAliasCreation moves it.
    let aliased = sdk
        .create_user_pool()
        .pool_name("aliased")
        .alias_attributes(AliasAttributeType::Email)
        .send()
        .await
        .unwrap();
    let ap = aliased.user_pool().unwrap().id().unwrap().to_owned();
    let make = |name: &'static str| {
        sdk.admin_create_user()
            .user_pool_id(&ap)
            .username(name)
            .user_attributes(attr("email", "shared@example.com"))
            .user_attributes(attr("email_verified", "true"))
            .message_action(MessageActionType::Suppress)
    };
    make("first").send().await.unwrap();
    let err = make("second").send().await.unwrap_err();
    assert_eq!(code(&err), "AliasExistsException");
    make("second")
        .force_alias_creation(true)
        .send()
        .await
        .unwrap();
    let first = sdk
        .admin_get_user()
        .user_pool_id(&ap)
        .username("first")
        .send()
        .await
        .unwrap();
    assert!(
        first
            .user_attributes()
            .iter()
            .any(|a| a.name() == "email_verified" && a.value() == Some("false"))
    );
    let by_alias = sdk
        .admin_get_user()
        .user_pool_id(&ap)
        .username("shared@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_alias.username(),
        "second",
        "the verified alias signs in as its new owner"
    );
    let err = sdk
        .admin_create_user()
        .user_pool_id(&ap)
        .username("x@example.com")
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap_err();
    assert!(message(&err).contains("email alias"), "{}", message(&err));
}
