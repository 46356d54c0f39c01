//! Managed login with passkeys in headless Chromium (its virtual authenticator): after a
//! password sign-in the hosted UI offers to add a passkey, the page's script creates one with
//! `navigator.credentials.create`; the next sign-in is "Sign in with a passkey" alone. Needs
//! `chromium` and `chromium-driver`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod oauth_support;

use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider as cip;
use common::{CLIENT, POOL, confirmed_user};
use harness::authenticator::AuthenticatorConfig;
use harness::driver::browser::chromedriver::{Chromedriver, Window};
use oauth_support::CALLBACK;

async fn run(w: &Window, script: &str) -> serde_json::Value {
    w.client.execute(script, vec![]).await.unwrap()
}

/// Wait until the page shows `selector` (or the URL reaches the callback, when `None`).
async fn wait_for(w: &Window, selector: Option<&str>) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = w.client.current_url().await.unwrap().to_string();
        let done = match selector {
            Some(s) => run(w, &format!("return !!document.querySelector({s:?})")).await == true,
            None => url.starts_with(CALLBACK),
        };
        if done {
            return url;
        }
        let error = run(
            w,
            "const e = document.getElementById('passkey-error'); return e ? e.textContent : ''",
        )
        .await;
        assert!(
            Instant::now() < deadline,
            "waited for {selector:?} at {url}; page error {error}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_added_after_a_password_sign_in_signs_in_alone() {
    let emu = common::start().await;
    let base = emu.url().to_owned();
    let sdk = &emu.sdk;
    common::allow_first_factors(sdk, POOL, &[cip::types::AuthFactorType::WebAuthn]).await;
    confirmed_user(sdk, "hosted-pk@example.com", "Passw0rd!").await;
    let authorize = format!(
        "{base}/oauth2/authorize?client_id={CLIENT}&response_type=code&scope=openid+email&redirect_uri={CALLBACK}"
    );
    let driver = Chromedriver::start().await.unwrap();
    let w = driver
        .window(&AuthenticatorConfig::platform_passkey())
        .await
        .unwrap();

    w.client.goto(&authorize).await.unwrap();
    wait_for(&w, Some("input[name=password]")).await;
    run(
        &w,
        "document.querySelector('input[name=username]').value = 'hosted-pk@example.com';
             document.querySelector('input[name=password]').value = 'Passw0rd!';
             document.querySelector('button[name=signInSubmitButton]').click(); return null",
    )
    .await;
    wait_for(&w, Some("#passkey-button")).await;
    let offer = run(&w, "return document.querySelector('h1').textContent").await;
    assert_eq!(offer, "Add a passkey");
    run(
        &w,
        "document.getElementById('passkey-button').click(); return null",
    )
    .await;
    let first = wait_for(&w, None).await;
    assert!(
        oauth_support::params(&first).contains_key("code"),
        "{first}"
    );

    // A new sign-in (no hosted session): the username and the passkey, no password.
    w.client
        .goto(&format!("{base}/_emulator/health"))
        .await
        .unwrap();
    w.client.delete_all_cookies().await.unwrap();
    w.client.goto(&authorize).await.unwrap();
    wait_for(&w, Some("button[name=factor][value=WEB_AUTHN]")).await;
    run(
        &w,
        "document.querySelector('input[name=username]').value = 'hosted-pk@example.com';
             document.querySelector('button[name=factor][value=WEB_AUTHN]').click(); return null",
    )
    .await;
    wait_for(&w, Some("#passkey-button")).await;
    run(
        &w,
        "document.getElementById('passkey-button').click(); return null",
    )
    .await;
    let second = wait_for(&w, None).await;
    assert!(
        oauth_support::params(&second).contains_key("code"),
        "{second}"
    );
    w.close().await;

    let registered = oauth_support::journal(&base, "kind=flow_step&name=webauthn.registered").await;
    assert_eq!(registered.len(), 1);
    let challenges = oauth_support::journal(&base, "kind=flow_step&name=hosted.challenge").await;
    assert_eq!(challenges[0]["detail"]["challenge"], "WEB_AUTHN");
    let rejected = oauth_support::journal(&base, "kind=rejected").await;
    assert!(rejected.is_empty(), "{rejected:?}");
}
