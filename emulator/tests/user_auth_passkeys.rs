//! Cognito's own passwordless sign-in through the official AWS SDK for Rust: passkeys
//! registered by access token (Start/CompleteWebAuthnRegistration, List, Delete) with the
//! harness's virtual authenticator, verified by the project's strict verifier; USER_AUTH with
//! SELECT_CHALLENGE and PREFERRED_CHALLENGE (WEB_AUTHN, EMAIL_OTP, PASSWORD); and the
//! negative cases: wrong origin, replayed challenge, another user's passkey, a deleted one.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use aws_sdk_cognitoidentityprovider as cip;
use cip::types::{AuthFlowType, ChallengeNameType};
use common::{CLIENT, POOL, attr, code, confirmed_user, from_doc, message, to_doc};
use harness::authenticator::{AuthenticatorConfig, VirtualAuthenticator};
use serde_json::Value;

/// The page the ceremonies run in: the default client's callback origin.
const ORIGIN: &str = "http://localhost:3000";

/// Passwordless allowed on the default pool and USER_AUTH on its client.
async fn enable(sdk: &cip::Client) {
    common::allow_first_factors(
        sdk,
        POOL,
        &[
            cip::types::AuthFactorType::WebAuthn,
            cip::types::AuthFactorType::EmailOtp,
        ],
    )
    .await;
    sdk.update_user_pool_client()
        .user_pool_id(POOL)
        .client_id(CLIENT)
        .callback_urls("http://localhost:3000/callback")
        .explicit_auth_flows(cip::types::ExplicitAuthFlowsType::AllowUserAuth)
        .explicit_auth_flows(cip::types::ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(cip::types::ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap();
}

async fn access_token(sdk: &cip::Client, email: &str) -> String {
    let out = common::signin::password_sign_in(sdk, email, "Passw0rd!").await;
    let result = out.authentication_result().unwrap();
    result.access_token().unwrap().to_owned()
}

async fn register(
    sdk: &cip::Client,
    access: &str,
    device: &mut VirtualAuthenticator,
    origin: &str,
) -> Result<(), (String, String)> {
    let start = sdk
        .start_web_authn_registration()
        .access_token(access)
        .send()
        .await
        .unwrap();
    let options = from_doc(start.credential_creation_options());
    let credential = device.create(&options.to_string(), origin).unwrap();
    sdk.complete_web_authn_registration()
        .access_token(access)
        .credential(to_doc(&credential))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| (code(&e), message(&e)))
}

/// USER_AUTH with WEB_AUTHN preferred: the options, and the session to answer with.
async fn passkey_challenge(sdk: &cip::Client, email: &str) -> (String, String) {
    let out = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", email)
        .auth_parameters("PREFERRED_CHALLENGE", "WEB_AUTHN")
        .send()
        .await
        .unwrap();
    assert_eq!(out.challenge_name(), Some(&ChallengeNameType::WebAuthn));
    let options = out.challenge_parameters().unwrap()["CREDENTIAL_REQUEST_OPTIONS"].clone();
    (options, out.session().unwrap().to_owned())
}

async fn answer_passkey(
    sdk: &cip::Client,
    email: &str,
    session: &str,
    credential: &Value,
) -> Result<cip::operation::respond_to_auth_challenge::RespondToAuthChallengeOutput, (String, String)>
{
    sdk.respond_to_auth_challenge()
        .client_id(CLIENT)
        .challenge_name(ChallengeNameType::WebAuthn)
        .session(session)
        .challenge_responses("USERNAME", email)
        .challenge_responses("CREDENTIAL", credential.to_string())
        .send()
        .await
        .map_err(|e| (code(&e), message(&e)))
}

#[tokio::test]
async fn a_passkey_is_registered_listed_used_and_deleted() {
    let emu = common::start().await;
    let sdk = &emu.sdk;
    let not_enabled = {
        confirmed_user(sdk, "early@example.com", "Passw0rd!").await;
        let access = access_token(sdk, "early@example.com").await;
        sdk.start_web_authn_registration()
            .access_token(&access)
            .send()
            .await
            .unwrap_err()
    };
    assert_eq!(code(&not_enabled), "WebAuthnNotEnabledException");
    enable(sdk).await;
    confirmed_user(sdk, "pk@example.com", "Passw0rd!").await;
    let access = access_token(sdk, "pk@example.com").await;
    let mut device = VirtualAuthenticator::with_seed(AuthenticatorConfig::default(), 5).unwrap();
    register(sdk, &access, &mut device, ORIGIN).await.unwrap();
    let listed = sdk
        .list_web_authn_credentials()
        .access_token(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.credentials().len(), 1);
    let cred = &listed.credentials()[0];
    assert_eq!(cred.relying_party_id(), "localhost");

    // SELECT_CHALLENGE lists what this user can use.
    let select = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", "pk@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        select.challenge_name(),
        Some(&ChallengeNameType::SelectChallenge)
    );
    let available: Vec<&str> = select
        .available_challenges()
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(
        available,
        ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "WEB_AUTHN"]
    );

    let (options, session) = passkey_challenge(sdk, "pk@example.com").await;
    let assertion = device.get(&options, ORIGIN).unwrap();
    let ok = answer_passkey(sdk, "pk@example.com", &session, &assertion)
        .await
        .unwrap();
    assert!(ok.authentication_result().unwrap().id_token().is_some());
    // The same assertion again: its session (and challenge) are spent.
    let replay = answer_passkey(sdk, "pk@example.com", &session, &assertion).await;
    assert_eq!(
        replay.unwrap_err(),
        (
            "NotAuthorizedException".into(),
            "Invalid session for the user.".into()
        )
    );

    let id = cred.credential_id();
    sdk.delete_web_authn_credential()
        .access_token(&access)
        .credential_id(id)
        .send()
        .await
        .unwrap();
    let again = sdk
        .delete_web_authn_credential()
        .access_token(&access)
        .credential_id(id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&again), "ResourceNotFoundException");
    let select = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", "pk@example.com")
        .auth_parameters("PREFERRED_CHALLENGE", "WEB_AUTHN")
        .send()
        .await
        .unwrap();
    assert_eq!(
        select.challenge_name(),
        Some(&ChallengeNameType::SelectChallenge),
        "without a passkey, WEB_AUTHN is not offered"
    );
}

#[tokio::test]
async fn the_verifier_refuses_wrong_origins_replays_and_other_users_passkeys() {
    let emu = common::start().await;
    let sdk = &emu.sdk;
    enable(sdk).await;
    confirmed_user(sdk, "a@example.com", "Passw0rd!").await;
    confirmed_user(sdk, "b@example.com", "Passw0rd!").await;
    let access_a = access_token(sdk, "a@example.com").await;
    let access_b = access_token(sdk, "b@example.com").await;
    let mut dev_a = VirtualAuthenticator::with_seed(AuthenticatorConfig::default(), 11).unwrap();
    let mut dev_b = VirtualAuthenticator::with_seed(AuthenticatorConfig::default(), 12).unwrap();

    // An origin the pool does not serve (same RP ID, another port not registered).
    let wrong = register(sdk, &access_a, &mut dev_a, "http://localhost:4444")
        .await
        .unwrap_err();
    assert_eq!(wrong.0, "WebAuthnOriginNotAllowedException", "{wrong:?}");
    assert!(wrong.1.contains("OriginMismatch"), "{}", wrong.1);
    // Completing without a pending registration.
    let none = sdk
        .complete_web_authn_registration()
        .access_token(&access_a)
        .credential(to_doc(&serde_json::json!({"id": "x"})))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&none), "WebAuthnChallengeNotFoundException");

    register(sdk, &access_a, &mut dev_a, ORIGIN).await.unwrap();
    register(sdk, &access_b, &mut dev_b, ORIGIN).await.unwrap();
    // B's passkey answering A's challenge.
    let (options, session) = passkey_challenge(sdk, "a@example.com").await;
    let mut opts: Value = serde_json::from_str(&options).unwrap();
    opts["allowCredentials"] = Value::Array(vec![]);
    let b_assertion = dev_b.get(&opts.to_string(), ORIGIN).unwrap();
    let other = answer_passkey(sdk, "a@example.com", &session, &b_assertion).await;
    assert_eq!(other.unwrap_err().0, "NotAuthorizedException");
    // A's own passkey from a wrong origin.
    let (options, session) = passkey_challenge(sdk, "a@example.com").await;
    let from_elsewhere = dev_a.get(&options, "http://localhost:4444").unwrap();
    let refused = answer_passkey(sdk, "a@example.com", &session, &from_elsewhere)
        .await
        .unwrap_err();
    assert_eq!(
        refused.0, "WebAuthnOriginNotAllowedException",
        "{refused:?}"
    );
}

#[tokio::test]
async fn email_codes_and_passwords_sign_in_through_user_auth() {
    let emu = common::start().await;
    let sdk = &emu.sdk;
    let url = emu.url().to_owned();
    enable(sdk).await;
    confirmed_user(sdk, "otp@example.com", "Passw0rd!").await;
    let out = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", "otp@example.com")
        .send()
        .await
        .unwrap();
    let chose = sdk
        .respond_to_auth_challenge()
        .client_id(CLIENT)
        .challenge_name(ChallengeNameType::SelectChallenge)
        .session(out.session().unwrap())
        .challenge_responses("USERNAME", "otp@example.com")
        .challenge_responses("ANSWER", "EMAIL_OTP")
        .send()
        .await
        .unwrap();
    assert_eq!(chose.challenge_name(), Some(&ChallengeNameType::EmailOtp));
    let sent = common::last_code(&url, "otp@example.com").await;
    assert_eq!(sent.len(), 8);
    let done = sdk
        .respond_to_auth_challenge()
        .client_id(CLIENT)
        .challenge_name(ChallengeNameType::EmailOtp)
        .session(chose.session().unwrap())
        .challenge_responses("USERNAME", "otp@example.com")
        .challenge_responses("EMAIL_OTP_CODE", sent)
        .send()
        .await
        .unwrap();
    assert!(done.authentication_result().is_some());

    let password = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", "otp@example.com")
        .auth_parameters("PREFERRED_CHALLENGE", "PASSWORD")
        .auth_parameters("PASSWORD", "Passw0rd!")
        .send()
        .await
        .unwrap();
    assert!(password.authentication_result().is_some());

    // A user without a verified email is not offered EMAIL_OTP.
    sdk.admin_create_user()
        .user_pool_id(POOL)
        .username("unverified@example.com")
        .user_attributes(attr("email", "unverified@example.com"))
        .temporary_password("Temp0rary!")
        .send()
        .await
        .unwrap();
    let out = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", "unverified@example.com")
        .send()
        .await
        .unwrap();
    let available: Vec<&str> = out
        .available_challenges()
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(available, ["PASSWORD", "PASSWORD_SRP"]);
}

#[tokio::test]
async fn every_attestation_format_signs_in_and_required_verification_is_enforced() {
    let emu = common::start().await;
    let sdk = &emu.sdk;
    enable(sdk).await;
    // Cognito asks for a discoverable credential (residentKey required): a security key that
    // can store one registers (packed, x5c); a U2F key cannot, and the browser refuses.
    let discoverable_key = AuthenticatorConfig {
        resident_keys: true,
        ..AuthenticatorConfig::security_key()
    };
    let configs = [
        ("platform", AuthenticatorConfig::platform_passkey()),
        ("security-key", discoverable_key.clone()),
    ];
    for (i, (name, config)) in configs.into_iter().enumerate() {
        let email = format!("{name}@example.com");
        confirmed_user(sdk, &email, "Passw0rd!").await;
        let access = access_token(sdk, &email).await;
        let mut device = VirtualAuthenticator::with_seed(config, 40 + i as u64).unwrap();
        register(sdk, &access, &mut device, ORIGIN)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let (options, session) = passkey_challenge(sdk, &email).await;
        let assertion = device.get(&options, ORIGIN).unwrap();
        let ok = answer_passkey(sdk, &email, &session, &assertion).await;
        assert!(ok.unwrap().authentication_result().is_some(), "{name}");
    }

    confirmed_user(sdk, "u2f@example.com", "Passw0rd!").await;
    let access = access_token(sdk, "u2f@example.com").await;
    let start = sdk
        .start_web_authn_registration()
        .access_token(&access)
        .send()
        .await
        .unwrap();
    let options = from_doc(start.credential_creation_options());
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    let mut u2f = VirtualAuthenticator::with_seed(AuthenticatorConfig::u2f_key(), 45).unwrap();
    assert!(u2f.create(&options.to_string(), ORIGIN).is_err());

    // Required user verification: a key that cannot verify the user is refused by name.
    sdk.set_user_pool_mfa_config()
        .user_pool_id(POOL)
        .web_authn_configuration(
            cip::types::WebAuthnConfigurationType::builder()
                .relying_party_id("localhost")
                .user_verification(cip::types::UserVerificationType::Required)
                .build(),
        )
        .send()
        .await
        .unwrap();
    confirmed_user(sdk, "nouv@example.com", "Passw0rd!").await;
    let access = access_token(sdk, "nouv@example.com").await;
    // A client that ignores the requirement (the options say `required`; it asks the key for
    // `discouraged`): the response has no UV flag, and the server names the check.
    let mut no_uv = VirtualAuthenticator::with_seed(
        AuthenticatorConfig {
            uv_capable: false,
            ..discoverable_key
        },
        50,
    )
    .unwrap();
    let start = sdk
        .start_web_authn_registration()
        .access_token(&access)
        .send()
        .await
        .unwrap();
    let mut options = from_doc(start.credential_creation_options());
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "required"
    );
    options["authenticatorSelection"]["userVerification"] = "discouraged".into();
    let credential = no_uv.create(&options.to_string(), ORIGIN).unwrap();
    let refused = sdk
        .complete_web_authn_registration()
        .access_token(&access)
        .credential(to_doc(&credential))
        .send()
        .await
        .map_err(|e| (code(&e), message(&e)))
        .unwrap_err();
    assert!(refused.1.contains("UserNotVerified"), "{refused:?}");

    let foreign = sdk
        .set_user_pool_mfa_config()
        .user_pool_id(POOL)
        .web_authn_configuration(
            cip::types::WebAuthnConfigurationType::builder()
                .relying_party_id("example.com")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&foreign), "InvalidParameterException");
    let lite = sdk
        .update_user_pool()
        .user_pool_id(POOL)
        .user_pool_tier(cip::types::UserPoolTierType::Lite)
        .policies(
            cip::types::UserPoolPolicyType::builder()
                .sign_in_policy(
                    cip::types::SignInPolicyType::builder()
                        .allowed_first_auth_factors(cip::types::AuthFactorType::Password)
                        .allowed_first_auth_factors(cip::types::AuthFactorType::WebAuthn)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&lite), "InvalidParameterException");
    assert!(message(&lite).contains("ESSENTIALS"), "{}", message(&lite));
}

#[tokio::test]
async fn another_relying_party_and_a_deleted_passkey_are_refused() {
    let emu = common::start().await;
    let sdk = &emu.sdk;
    enable(sdk).await;
    // A page under the RP ID (allowed origin) whose script asks for another RP ID.
    sdk.update_user_pool_client()
        .user_pool_id(POOL)
        .client_id(CLIENT)
        .callback_urls("http://localhost:3000/callback")
        .callback_urls("http://sub.localhost:3000/cb")
        .explicit_auth_flows(cip::types::ExplicitAuthFlowsType::AllowUserAuth)
        .explicit_auth_flows(cip::types::ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .send()
        .await
        .unwrap();
    confirmed_user(sdk, "rp@example.com", "Passw0rd!").await;
    let access = access_token(sdk, "rp@example.com").await;
    let mut device =
        VirtualAuthenticator::with_seed(AuthenticatorConfig::platform_passkey(), 60).unwrap();
    let start = sdk
        .start_web_authn_registration()
        .access_token(&access)
        .send()
        .await
        .unwrap();
    let mut options = from_doc(start.credential_creation_options());
    options["rp"]["id"] = "sub.localhost".into();
    let credential = device
        .create(&options.to_string(), "http://sub.localhost:3000")
        .unwrap();
    let err = sdk
        .complete_web_authn_registration()
        .access_token(&access)
        .credential(to_doc(&credential))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&err),
        "WebAuthnRelyingPartyMismatchException",
        "{}",
        message(&err)
    );
    assert!(
        message(&err).contains("RpIdHashMismatch"),
        "{}",
        message(&err)
    );

    // A passkey deleted after the challenge was issued no longer signs in.
    register(sdk, &access, &mut device, ORIGIN).await.unwrap();
    let (options, session) = passkey_challenge(sdk, "rp@example.com").await;
    let assertion = device.get(&options, ORIGIN).unwrap();
    let listed = sdk
        .list_web_authn_credentials()
        .access_token(&access)
        .send()
        .await
        .unwrap();
    let id = listed.credentials()[0].credential_id().to_owned();
    sdk.delete_web_authn_credential()
        .access_token(&access)
        .credential_id(&id)
        .send()
        .await
        .unwrap();
    let refused = answer_passkey(sdk, "rp@example.com", &session, &assertion).await;
    assert_eq!(refused.unwrap_err().0, "NotAuthorizedException");
}

#[tokio::test]
async fn the_config_file_sets_first_factors_tier_and_passkeys() {
    let toml = emulator::config::DEFAULT_TOML.replace(
        "domain = \"mosaic-demo\"",
        "domain = \"mosaic-demo\"\nfirst_factors = [\"PASSWORD\", \"WEB_AUTHN\", \"EMAIL_OTP\"]\ntier = \"ESSENTIALS\"\nwebauthn = { rp_id = \"localhost\", user_verification = \"required\" }",
    );
    let config = emulator::Config::parse(&toml, "test").unwrap();
    let emu = common::start_with(config).await;
    let mfa = emu
        .sdk
        .get_user_pool_mfa_config()
        .user_pool_id(POOL)
        .send()
        .await
        .unwrap();
    let w = mfa.web_authn_configuration().unwrap();
    assert_eq!(w.relying_party_id(), Some("localhost"));
    assert_eq!(
        w.user_verification(),
        Some(&cip::types::UserVerificationType::Required)
    );
    let pool = emu
        .sdk
        .describe_user_pool()
        .user_pool_id(POOL)
        .send()
        .await
        .unwrap();
    let factors = pool
        .user_pool()
        .unwrap()
        .policies()
        .unwrap()
        .sign_in_policy()
        .unwrap();
    assert_eq!(factors.allowed_first_auth_factors().len(), 3);

    let lite = emulator::config::DEFAULT_TOML.replace(
        "domain = \"mosaic-demo\"",
        "domain = \"mosaic-demo\"\nfirst_factors = [\"PASSWORD\", \"WEB_AUTHN\"]\ntier = \"LITE\"",
    );
    let config = emulator::Config::parse(&lite, "test").unwrap();
    let err = emulator::start(config.with_ephemeral_ports())
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("ESSENTIALS"), "{err:#}");
}
