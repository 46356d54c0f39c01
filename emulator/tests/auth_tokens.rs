//! Password sign-in, NEW_PASSWORD_REQUIRED, refresh, GetUser, sign-out and RevokeToken, with
//! every token checked by an independent JWT library against the served JWKS.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType, MessageActionType};
use common::{CLIENT, POOL, attr, code, confirmed_user, message, start, start_with};
use emulator::Config;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
use serde_json::Value;

async fn verify(url: &str, token: &str, aud: Option<&str>) -> Value {
    let jwks: JwkSet = reqwest::get(format!("{url}/{POOL}/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = decode_header(token).unwrap().kid.expect("kid");
    let jwk = jwks.find(&kid).expect("kid in JWKS");
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&[format!("{url}/{POOL}")]);
    match aud {
        Some(a) => v.set_audience(&[a]),
        None => v.validate_aud = false,
    }
    decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &v)
        .expect("token verifies")
        .claims
}

#[tokio::test]
async fn password_sign_in_issues_cognito_shaped_tokens() {
    let emu = start().await;
    let sdk = &emu.sdk;
    let username = confirmed_user(sdk, "tia@example.com", "Passw0rd!").await;
    sdk.create_group()
        .user_pool_id(POOL)
        .group_name("staff")
        .send()
        .await
        .unwrap();
    sdk.admin_add_user_to_group()
        .user_pool_id(POOL)
        .username(&username)
        .group_name("staff")
        .send()
        .await
        .unwrap();

    let out = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "tia@example.com")
        .auth_parameters("PASSWORD", "Passw0rd!")
        .send()
        .await
        .unwrap();
    let r = out.authentication_result().unwrap();
    assert_eq!((r.token_type(), r.expires_in()), (Some("Bearer"), 3600));
    let id = verify(emu.url(), r.id_token().unwrap(), Some(CLIENT)).await;
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["cognito:username"], username.as_str());
    assert_eq!(id["email"], "tia@example.com");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["cognito:groups"], serde_json::json!(["staff"]));
    let access = verify(emu.url(), r.access_token().unwrap(), None).await;
    assert_eq!(
        (access["token_use"].as_str(), access["client_id"].as_str()),
        (Some("access"), Some(CLIENT))
    );
    assert_eq!(access["origin_jti"], id["origin_jti"]);
    assert!(access.get("aud").is_none());
    let id_kid = decode_header(r.id_token().unwrap()).unwrap().kid;
    assert_ne!(
        id_kid,
        decode_header(r.access_token().unwrap()).unwrap().kid,
        "separate keys for id and access tokens"
    );

    let me = sdk
        .get_user()
        .access_token(r.access_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.username(), username);

    let refreshed = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", r.refresh_token().unwrap())
        .send()
        .await
        .unwrap();
    let rr = refreshed.authentication_result().unwrap();
    assert!(rr.refresh_token().is_none());
    assert_eq!(
        verify(emu.url(), rr.id_token().unwrap(), Some(CLIENT)).await["origin_jti"],
        id["origin_jti"]
    );

    sdk.revoke_token()
        .client_id(CLIENT)
        .token(r.refresh_token().unwrap())
        .send()
        .await
        .unwrap();
    let err = sdk
        .get_user()
        .access_token(r.access_token().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (code(&err), message(&err)),
        (
            "NotAuthorizedException".into(),
            "Access Token has been revoked".into()
        )
    );
    let err = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", r.refresh_token().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotAuthorizedException");
}

#[tokio::test]
async fn sign_in_failures_are_cognito_errors() {
    let emu = start().await;
    let sdk = &emu.sdk;
    confirmed_user(sdk, "ray@example.com", "Passw0rd!").await;
    let attempt = |user: &'static str, pw: &'static str| {
        sdk.initiate_auth()
            .client_id(CLIENT)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", user)
            .auth_parameters("PASSWORD", pw)
            .send()
    };
    let err = attempt("ray@example.com", "wrong").await.unwrap_err();
    assert_eq!(
        (code(&err), message(&err)),
        (
            "NotAuthorizedException".into(),
            "Incorrect username or password.".into()
        )
    );
    let err = attempt("nobody@example.com", "Passw0rd!")
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UserNotFoundException");
    sdk.admin_disable_user()
        .user_pool_id(POOL)
        .username("ray@example.com")
        .send()
        .await
        .unwrap();
    let err = attempt("ray@example.com", "Passw0rd!").await.unwrap_err();
    assert_eq!(message(&err), "User is disabled.");
    sdk.sign_up()
        .client_id(CLIENT)
        .username("new@example.com")
        .password("Passw0rd!")
        .send()
        .await
        .unwrap();
    let err = attempt("new@example.com", "Passw0rd!").await.unwrap_err();
    assert_eq!(code(&err), "UserNotConfirmedException");
    let err = sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    let err = sdk
        .get_user()
        .access_token("not.a.token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotAuthorizedException");
}

#[tokio::test]
async fn temporary_password_requires_a_new_one() {
    let emu = start().await;
    let sdk = &emu.sdk;
    sdk.admin_create_user()
        .user_pool_id(POOL)
        .username("nia@example.com")
        .temporary_password("Temp0rary!")
        .user_attributes(attr("email_verified", "true"))
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let out = sdk
        .admin_initiate_auth()
        .user_pool_id(POOL)
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "nia@example.com")
        .auth_parameters("PASSWORD", "Temp0rary!")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.challenge_name(),
        Some(&ChallengeNameType::NewPasswordRequired)
    );
    let session = out.session().unwrap().to_owned();
    let err = sdk
        .respond_to_auth_challenge()
        .client_id(CLIENT)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session("bogus")
        .challenge_responses("USERNAME", "nia@example.com")
        .challenge_responses("NEW_PASSWORD", "Perm4nent!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&err), "Invalid session for the user.");
    let done = sdk
        .respond_to_auth_challenge()
        .client_id(CLIENT)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(session)
        .challenge_responses("USERNAME", "nia@example.com")
        .challenge_responses("NEW_PASSWORD", "Perm4nent!")
        .send()
        .await
        .unwrap();
    let tokens = done.authentication_result().unwrap();
    sdk.global_sign_out()
        .access_token(tokens.access_token().unwrap())
        .send()
        .await
        .unwrap();
    let err = sdk
        .get_user()
        .access_token(tokens.access_token().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotAuthorizedException");
    let again = sdk
        .admin_initiate_auth()
        .user_pool_id(POOL)
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "nia@example.com")
        .auth_parameters("PASSWORD", "Perm4nent!")
        .send()
        .await
        .unwrap();
    assert!(again.authentication_result().is_some());
    sdk.admin_user_global_sign_out()
        .user_pool_id(POOL)
        .username("nia@example.com")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn discovery_and_jwks_are_served_per_pool() {
    let emu = start().await;
    let d: Value = reqwest::get(format!(
        "{}/{POOL}/.well-known/openid-configuration",
        emu.url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(d["issuer"], format!("{}/{POOL}", emu.url()));
    let jwks: Value = reqwest::get(d["jwks_uri"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    let missing = reqwest::get(format!(
        "{}/us-east-1_nope/.well-known/jwks.json",
        emu.url()
    ))
    .await
    .unwrap();
    assert_eq!(missing.status(), 404);
}

/// The pool's and the IdP's published keys, after a start with `seed`.
async fn published_keys(seed: Option<u64>) -> (Value, Value) {
    let mut config = Config::default_config();
    config.seed = seed;
    let emu = start_with(config).await;
    let get = |url: String| async move {
        let jwks: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        jwks
    };
    let pool = get(format!("{}/{POOL}/.well-known/jwks.json", emu.url())).await;
    let idp_addr = emu.running.idp_addr.expect("the default config has an IdP");
    let idp = get(format!("http://{idp_addr}/cis/oidc/jwks")).await;
    (pool, idp)
}

#[tokio::test]
async fn a_seed_fixes_the_signing_keys_and_no_seed_draws_fresh_ones() {
    let seeded = published_keys(Some(7)).await;
    assert_eq!(seeded, published_keys(Some(7)).await);
    let unseeded = published_keys(None).await;
    assert_ne!(seeded.0, unseeded.0);
    assert_ne!(seeded.1, unseeded.1);
}

/// A key stored by an earlier version (generated by aws-lc, PKCS#8) still loads, with the
/// same public key (so the same `kid`), and signs tokens aws-lc verifies.
#[test]
fn keys_stored_by_earlier_versions_still_sign() {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
    let old = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let key = emulator::jws::RsaKey::from_pkcs8(old.as_der().unwrap().as_ref()).unwrap();
    let public = old.public_key();
    assert_eq!(key.public_der, public.as_ref());
    assert_eq!(key.n, public.modulus().big_endian_without_leading_zero());
    assert_eq!(key.e, public.exponent().big_endian_without_leading_zero());
    let header = jsonwebtoken::Header::new(Algorithm::RS256);
    let token = key.sign(&header, &serde_json::json!({"a": 1})).unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig);
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public.as_ref())
        .verify(input.as_bytes(), &sig.unwrap())
        .expect("aws-lc verifies the signature");
}

/// A refused access token gets AWS's message; the journal names the check that failed.
#[tokio::test]
async fn a_refused_access_token_names_its_failed_check_in_the_journal() {
    let emu = start().await;
    confirmed_user(&emu.sdk, "rae@example.com", "Passw0rd!").await;
    let out = common::signin::password_sign_in(&emu.sdk, "rae@example.com", "Passw0rd!").await;
    let tokens = out.authentication_result().unwrap();
    let access = tokens.access_token().unwrap();
    let (input, _) = access.rsplit_once('.').unwrap();
    let (_, id_signature) = tokens.id_token().unwrap().rsplit_once('.').unwrap();
    let cases = [
        ("not.a.token".to_owned(), "malformed token"),
        (format!("{input}.{id_signature}"), "signature check failed"),
        (
            tokens.id_token().unwrap().to_owned(),
            "signature check failed",
        ),
    ];
    for (token, check) in cases {
        let err = emu.sdk.get_user().access_token(&token).send().await;
        let err = err.unwrap_err();
        assert_eq!(
            (code(&err).as_str(), message(&err).as_str()),
            ("NotAuthorizedException", "Invalid Access Token")
        );
        let journal: Value = reqwest::get(format!(
            "{}/_emulator/journal?kind=rejected&name=GetUser",
            emu.url()
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let last = journal["events"].as_array().unwrap().last().cloned();
        let named = last.as_ref().and_then(|e| e["detail"]["check"].as_str());
        assert!(
            named.is_some_and(|c| c.contains(check)),
            "{check}: {last:?}"
        );
    }
}
