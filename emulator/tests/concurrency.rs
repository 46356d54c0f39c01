//! Concurrent writes cannot break the pool's uniqueness rules: bursts of parallel SignUps and
//! AdminCreateUsers with one email on a pool that identifies users by email create exactly one
//! user each time (the store's uniqueness index decides; the losers get UsernameExists).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

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
