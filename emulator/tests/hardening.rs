//! Findings of a hostile review, each refused as Cognito would refuse it: a disabled user's
//! access token at `/oauth2/userInfo`; forged federation `state` values naming unknown pools
//! (answered without writing anything); callback URLs whose host a browser reads differently
//! (a backslash in the authority).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use common::{CLIENT, POOL, code, confirmed_user, start};
use emulator::cognito::federation::state::StateKey;

#[tokio::test]
async fn user_info_refuses_a_disabled_users_token() {
    let emu = start().await;
    let username = confirmed_user(&emu.sdk, "off@example.com", "Passw0rd!").await;
    let out = emu
        .sdk
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "off@example.com")
        .auth_parameters("PASSWORD", "Passw0rd!")
        .send()
        .await
        .unwrap();
    let access = out
        .authentication_result()
        .unwrap()
        .access_token()
        .unwrap()
        .to_owned();
    let info = |token: String| {
        let url = format!("{}/oauth2/userInfo", emu.url());
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(info(access.clone()).await.status(), 200);
    emu.sdk
        .admin_disable_user()
        .user_pool_id(POOL)
        .username(&username)
        .send()
        .await
        .unwrap();
    let refused = info(access.clone()).await;
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("User is disabled."), "{challenge}");
    let api = emu
        .sdk
        .get_user()
        .access_token(&access)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&api), "NotAuthorizedException");
}

#[tokio::test]
async fn forged_states_for_unknown_pools_write_nothing() {
    let emu = start().await;
    let keys = || {
        emu.running
            .cognito
            .store
            .list::<StateKey>(None)
            .unwrap()
            .len()
    };
    let before = keys();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for i in 0..20 {
        let payload = B64URL.encode(format!("us-east-1_Forged{i}\nflow"));
        let url = format!(
            "{}/oauth2/idpresponse?code=x&state={payload}.AAAA",
            emu.url()
        );
        let resp = http.get(url).send().await.unwrap();
        assert!(resp.status().is_client_error(), "{}", resp.status());
        let body = resp.text().await.unwrap();
        assert!(body.contains("Invalid state"), "{body}");
    }
    assert_eq!(
        keys(),
        before,
        "no signing key was created for a forged pool id"
    );
}

#[tokio::test]
async fn a_callback_url_whose_host_browsers_read_elsewhere_is_refused() {
    let emu = start().await;
    for url in [
        "http://evil.example\\@x.localhost/cb",
        "http://x.localhost@evil.example/cb",
    ] {
        let err = emu
            .sdk
            .create_user_pool_client()
            .user_pool_id(POOL)
            .client_name("tricky")
            .callback_urls(url)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "InvalidParameterException", "{url}");
    }
}

/// Secrets never reach the journal: nested (an IdP's client secret), echoed in an error
/// message (a password of the wrong JSON type), or in the query of a refused authorize.
#[tokio::test]
async fn the_journal_keeps_no_secret_at_any_depth() {
    let emu = start().await;
    let http = reqwest::Client::new();
    let call = |target: &str, body: serde_json::Value| {
        http.post(emu.url())
            .header(
                "X-Amz-Target",
                format!("AWSCognitoIdentityProviderService.{target}"),
            )
            .header("Content-Type", "application/x-amz-json-1.1")
            .body(body.to_string())
            .send()
    };
    let created = call(
        "CreateIdentityProvider",
        serde_json::json!({
            "UserPoolId": POOL, "ProviderName": "Other", "ProviderType": "OIDC",
            "ProviderDetails": {"client_id": "other-app", "client_secret": "NESTED-SECRET-1",
                "authorize_scopes": "openid", "oidc_issuer": "https://issuer.example",
                "attributes_request_method": "GET"},
        }),
    )
    .await
    .unwrap();
    assert!(created.status().is_success() || created.status() == 400);
    let wrong_type = call(
        "AdminSetUserPassword",
        serde_json::json!({"UserPoolId": POOL, "Username": "x", "Password": 987654321012u64}),
    )
    .await
    .unwrap();
    assert_eq!(wrong_type.status(), 400);
    let authorize = format!(
        "{}/oauth2/authorize?client_id=nope&response_type=code&client_secret=QUERY-SECRET-2&password=QUERY-SECRET-3",
        emu.url()
    );
    reqwest::get(authorize).await.unwrap();
    let journal = reqwest::get(format!("{}/_emulator/journal", emu.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for secret in [
        "NESTED-SECRET-1",
        "987654321012",
        "QUERY-SECRET-2",
        "QUERY-SECRET-3",
    ] {
        assert!(!journal.contains(secret), "{secret} in the journal");
    }
    assert!(journal.contains("other-app"), "what is not secret stays");
    assert!(
        journal.contains("oauth2.authorize"),
        "the refused authorize is journaled"
    );
    assert!(journal.contains("AdminSetUserPassword"), "{journal}");
}
