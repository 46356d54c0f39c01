//! Remembered devices through the official AWS SDK for Rust: NewDeviceMetadata, ConfirmDevice
//! with the client-side verifier, DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER, the
//! `device_key` claim, and the device operations.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use aws_sdk_cognitoidentityprovider as cip;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use cip::types::{AuthFlowType, ChallengeNameType};
use common::signin::*;
use common::{CLIENT, POOL, code, confirmed_user, message};
use emulator::Config;
use emulator::clock::Clock;
use emulator::cognito::signin::srp::{self, Group};
use num_bigint::BigUint;

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
