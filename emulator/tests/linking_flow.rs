//! Account linking through PreSignUp_ExternalProvider, against a wiremock IdP: the built-in
//! `link_by_email`, the corrected Node.js handler (AWS SDK v3) and the guide-style handler
//! (AWS SDK v2, with the guide's `'providerName'` mistake) run in a warm Node worker.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod oauth_support;

use emulator::Config;
use oauth_support::*;
use serde_json::Value;

use common::{CLIENT, POOL};

const ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:link";

async fn start(idp: &FakeIdp, target: &str) -> common::Emu {
    let mut config = Config::default_config();
    idp.configure(&mut config, "GET");
    with_trigger(&mut config, "PreSignUp", ARN, target);
    common::start_with(config).await
}

async fn id_token(base: &str, callback: &str) -> serde_json::Map<String, Value> {
    let code = params(callback)
        .get("code")
        .cloned()
        .unwrap_or_else(|| panic!("no code: {callback}"));
    let t: Value = exchange(base, CLIENT, &code, None)
        .await
        .json()
        .await
        .unwrap();
    verify(base, POOL, t["id_token"].as_str().unwrap(), Some(CLIENT)).await
}

/// A handler that links: the app first gets re_authentication_required, then the native user.
async fn links_and_second_sign_in_lands_on_the_native_user(target: &str) {
    let idp = FakeIdp::start().await;
    let emu = start(&idp, target).await;
    let base = emu.url().to_owned();
    let native = common::confirmed_user(&emu.sdk, "jane@example.com", "Passw0rd!").await;

    let callback = federated_sign_in(&base, &idp, "idp-jane", "jane@example.com").await;
    let p = params(&callback);
    assert_eq!(p["error"], "invalid_request", "{callback}");
    assert_eq!(
        p["error_description"],
        "PreSignUp failed with error re_authentication_required. "
    );
    let users = emu
        .sdk
        .list_users()
        .user_pool_id(POOL)
        .send()
        .await
        .unwrap();
    assert_eq!(users.users().len(), 1, "no federated user was created");
    let u = emu
        .sdk
        .admin_get_user()
        .user_pool_id(POOL)
        .username(&native)
        .send()
        .await
        .unwrap();
    let identities = u
        .user_attributes()
        .iter()
        .find(|a| a.name() == "identities")
        .and_then(|a| a.value())
        .unwrap();
    assert!(
        identities.contains("idp-jane") && identities.contains("Mosaic"),
        "{identities}"
    );

    let callback = federated_sign_in(&base, &idp, "idp-jane", "jane@example.com").await;
    let id = id_token(&base, &callback).await;
    let native_sub = u
        .user_attributes()
        .iter()
        .find(|a| a.name() == "sub")
        .and_then(|a| a.value())
        .unwrap();
    assert_eq!(id["sub"], native_sub);
    assert_eq!(id["cognito:username"], native.as_str());
    assert_eq!(id["identities"][0]["userId"], "idp-jane");
    assert_eq!(id["identities"][0]["providerName"], "Mosaic");

    let runs = journal(&base, "kind=trigger&name=PreSignUp_ExternalProvider").await;
    assert_eq!(runs.len(), 1, "PreSignUp ran once: {runs:?}");
    let event = &runs[0]["detail"]["event"];
    assert_eq!(event["userName"], "Mosaic_idp-jane");
    assert_eq!(event["version"], "1");
    assert_eq!(event["callerContext"]["clientId"], CLIENT);
    let attrs = &event["request"]["userAttributes"];
    assert_eq!(attrs["email"], "jane@example.com");
    assert_eq!(attrs["email_verified"], "false");
    assert_eq!(attrs["cognito:email_alias"], "");
    assert_eq!(event["response"]["autoConfirmUser"], false);
    assert_eq!(runs[0]["detail"]["outcome"], "error");
    let links = journal(&base, "kind=api_call&name=AdminLinkProviderForUser").await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(
        emu.sdk
            .list_users()
            .user_pool_id(POOL)
            .send()
            .await
            .unwrap()
            .users()
            .len(),
        1
    );
}

#[tokio::test]
async fn builtin_link_by_email() {
    links_and_second_sign_in_lands_on_the_native_user("builtin:link_by_email").await;
}

#[tokio::test]
async fn corrected_node_handler_with_sdk_v3() {
    links_and_second_sign_in_lands_on_the_native_user(&format!(
        "node:{}",
        fixture("link-corrected.js")
    ))
    .await;
}

#[tokio::test]
async fn guide_style_node_handler_with_sdk_v2_fails_to_link_visibly() {
    let idp = FakeIdp::start().await;
    let emu = start(&idp, &format!("node:{}", fixture("link-guide.js"))).await;
    let base = emu.url().to_owned();
    common::confirmed_user(&emu.sdk, "guide@example.com", "Passw0rd!").await;

    let callback = federated_sign_in(&base, &idp, "idp-guide", "guide@example.com").await;
    let id = id_token(&base, &callback).await;
    assert_eq!(
        id["cognito:username"], "Mosaic_idp-guide",
        "sign-up went on without linking"
    );
    assert_eq!(
        emu.sdk
            .list_users()
            .user_pool_id(POOL)
            .send()
            .await
            .unwrap()
            .users()
            .len(),
        2
    );

    // The journal shows the rejected link call and why, and the handler's swallowed error.
    let rejected = journal(&base, "kind=rejected&name=AdminLinkProviderForUser").await;
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    let d = &rejected[0]["detail"];
    assert_eq!(d["error"], "InvalidParameterException");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("'providerName' is not an identity provider"),
        "{d}"
    );
    assert_eq!(d["request"]["SourceUser"]["ProviderName"], "providerName");
    let runs = journal(&base, "kind=trigger&name=PreSignUp_ExternalProvider").await;
    assert_eq!(runs[0]["detail"]["outcome"], "ok");
    let logs = runs[0]["detail"]["logs"].to_string();
    assert!(logs.contains("Error:InvalidParameterException"), "{logs}");
    let searches = journal(&base, "kind=api_call&name=ListUsers").await;
    let by_email = searches
        .iter()
        .filter(|e| e["detail"]["request"]["Filter"] == "email = \"guide@example.com\"");
    assert_eq!(
        by_email.count(),
        1,
        "the handler searched by email through the SDK: {searches:?}"
    );
}
