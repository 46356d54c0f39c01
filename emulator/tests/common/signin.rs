//! Sign-in helpers shared by the sign-in tests: an emulator on a manual clock, the client's
//! half of SRP (from the emulator's pure `srp` module; the real JavaScript clients check it
//! independently in `js_clients.rs`), challenge answers, password sign-in, pool MFA.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_cognitoidentityprovider as cip;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use cip::types::{AuthFlowType, ChallengeNameType};
use emulator::clock::ManualClock;
use emulator::cognito::signin::srp::{self, Group};
use emulator::{Config, Options};
use num_bigint::BigUint;

use super::{CLIENT, POOL, code, message};

/// The default config on a manual clock.
pub async fn start_at(clock: Arc<ManualClock>, config: Config) -> super::Emu {
    let options = Options {
        clock,
        ..Options::default()
    };
    let running = emulator::start_with(config.with_ephemeral_ports(), options)
        .await
        .unwrap();
    let sdk = super::sdk(&running.cognito_url);
    super::Emu { running, sdk }
}

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(1_800_000_000_000))
}

/// The client's side of SRP, from the PASSWORD_VERIFIER challenge's parameters: the
/// ChallengeResponses that prove `password`.
pub fn prove(
    a: &BigUint,
    params: &HashMap<String, String>,
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

pub fn a_secret(seed: u8) -> BigUint {
    BigUint::from_bytes_be(&[seed.max(1); 128])
}

pub async fn srp_challenge(
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

pub async fn respond(
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

pub async fn password_sign_in(
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

pub async fn enable_pool_mfa(sdk: &cip::Client, mode: cip::types::UserPoolMfaType) {
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
