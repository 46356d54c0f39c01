//! Concurrency: bursts of parallel SignUps and AdminCreateUsers with one email on a pool that
//! identifies users by email create exactly one user each time (the store's uniqueness index
//! decides; the losers get UsernameExists); one authorization code exchanged in parallel gives
//! tokens once.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod oauth_support;

use common::{CLIENT, POOL, attr, code, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_sign_ups_with_one_email_create_one_user() {
    let emu = start().await;
    for burst in 0..10 {
        let email = format!("race{burst}@example.com");
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..40 {
            let sdk = emu.sdk.clone();
            let email = email.clone();
            tasks.spawn(async move {
                if i % 2 == 0 {
                    sdk.sign_up()
                        .client_id(CLIENT)
                        .username(&email)
                        .password("Passw0rd!")
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| code(&e))
                } else {
                    sdk.admin_create_user()
                        .user_pool_id(POOL)
                        .username(&email)
                        .user_attributes(attr("email", &email))
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| code(&e))
                }
            });
        }
        let mut ok = 0;
        while let Some(r) = tasks.join_next().await {
            match r.unwrap() {
                Ok(()) => ok += 1,
                Err(c) => assert_eq!(c, "UsernameExistsException", "burst {burst}"),
            }
        }
        assert_eq!(ok, 1, "burst {burst}: one of 40 creations succeeds");
        let users = emu
            .sdk
            .list_users()
            .user_pool_id(POOL)
            .filter(format!("email = \"{email}\""))
            .send()
            .await
            .unwrap();
        assert_eq!(users.users().len(), 1, "burst {burst}");
    }
}

/// An authorization code is single use even under a burst of parallel exchanges: the store
/// takes it (read and delete in one statement), so exactly one exchange gets tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_authorization_code_gives_tokens_once_under_parallel_exchanges() {
    let emu = start().await;
    let base = emu.url().to_owned();
    common::confirmed_user(&emu.sdk, "code@example.com", "Passw0rd!").await;
    let (verifier, challenge) = oauth_support::pkce("race");
    let authorize = format!(
        "{base}/oauth2/authorize?client_id={CLIENT}&response_type=code&scope=openid+email&redirect_uri=http://localhost:3000/callback&code_challenge={challenge}&code_challenge_method=S256"
    );
    let r = oauth_support::browser()
        .get(authorize)
        .send()
        .await
        .unwrap();
    let login_path = oauth_support::location(&r);
    let r = oauth_support::submit_login(&base, &login_path, "code@example.com", "Passw0rd!").await;
    let callback = oauth_support::location(&r);
    let code = oauth_support::params(&callback)["code"].clone();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (base, code, verifier) = (base.clone(), code.clone(), verifier.clone());
        tasks.spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/oauth2/token"))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("client_id", CLIENT),
                    ("code", &code),
                    ("redirect_uri", "http://localhost:3000/callback"),
                    ("code_verifier", &verifier),
                ])
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    let mut ok = 0;
    while let Some(status) = tasks.join_next().await {
        match status.unwrap().as_u16() {
            200 => ok += 1,
            400 => {}
            other => panic!("status {other}"),
        }
    }
    assert_eq!(ok, 1);
}
