//! The hosted experience through its JSON endpoints, as a browserless client: sign-up with an
//! email OTP read from the outbox and a passkey made by a virtual authenticator, login with that
//! passkey, tokens and userinfo; OTP lockout, expiry, reuse and resend limits; a credential id
//! registered twice; sign-up switched off; the control plane's user listing.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod idp_support;

use idp_support::{CLIENT, authenticator, code_of, start, start_with};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn sign_up_then_login_with_the_passkey() {
    let idp = start().await;
    let mut phone = authenticator(1);
    let redirect = idp.register("Ana@Example.com", &mut phone, &[]).await;
    assert!(redirect.starts_with(&idp.redirect_uri()), "{redirect}");
    let (code, state) = code_of(&redirect);
    assert_eq!(state.as_deref(), Some("st-1"));
    let (status, tokens) = idp.exchange(&code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert!(
        tokens.get("refresh_token").is_none(),
        "no offline_access, no refresh token"
    );
    let claims = idp
        .verify_id_token(tokens["id_token"].as_str().unwrap())
        .await;
    assert_eq!(claims["email"], "ana@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["amr"], json!(["eotp", "webauthn"]));
    assert_eq!(claims["new_user"], true);
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(claims["tid"], "mosaic-demo-tenant");
    let sub = claims["sub"].as_str().unwrap().to_owned();

    // The returning user signs in with the passkey alone: no OTP is sent.
    let sent = idp.get_json("/_emulator/outbox").await.1["messages"]
        .as_array()
        .unwrap()
        .len();
    let redirect = idp
        .login("ana@example.com", &mut phone, &[("nonce", "n-2")])
        .await;
    let (status, tokens) = idp.exchange(&code_of(&redirect).0).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let claims = idp
        .verify_id_token(tokens["id_token"].as_str().unwrap())
        .await;
    assert_eq!(
        (claims["sub"].as_str().unwrap(), &claims["amr"]),
        (sub.as_str(), &json!(["webauthn"]))
    );
    assert_eq!(claims["new_user"], false);
    assert_eq!(claims["nonce"], "n-2");
    let after = idp.get_json("/_emulator/outbox").await.1["messages"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(sent, after);

    // The control plane lists the user with the passkey and its updated record.
    let (_, users) = idp
        .get_json("/_emulator/idp/users?identifier=ana@example.com")
        .await;
    let user = &users["users"][0];
    assert_eq!(user["sub"], sub.as_str());
    assert_eq!(user["credentials"].as_array().unwrap().len(), 1);
    assert!(user["credentials"][0]["last_used_ms"].is_i64());
    assert_eq!(
        user["credentials"][0]["record"]["userHandle"]
            .as_str()
            .unwrap()
            .len(),
        48
    );
}

#[tokio::test]
async fn otp_lockout_after_five_wrong_codes() {
    let idp = start().await;
    let ix = idp.interaction(&[]).await;
    idp.step(&ix, "identifier", json!({"identifier": "lock@example.com"}))
        .await;
    let code = idp.otp("lock@example.com").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        assert_eq!(
            idp.step_err(&ix, "otp/verify", json!({"code": wrong}))
                .await
                .1,
            "otp_invalid"
        );
    }
    assert_eq!(
        idp.step_err(&ix, "otp/verify", json!({"code": wrong}))
            .await,
        (StatusCode::TOO_MANY_REQUESTS, "otp_locked".into())
    );
    // Locked: the right code and a new code are refused; no user was created.
    assert_eq!(
        idp.step_err(&ix, "otp/verify", json!({"code": code}))
            .await
            .1,
        "otp_locked"
    );
    idp.clock.advance_secs(60);
    assert_eq!(
        idp.step_err(&ix, "otp/send", json!({})).await.1,
        "otp_locked"
    );
    let (_, users) = idp.get_json("/_emulator/idp/users").await;
    assert_eq!(users["users"], json!([]));
    let events = idp.journal(&ix).await;
    assert!(
        events
            .iter()
            .filter(|e| *e == "experience.otp_verify")
            .count()
            >= 6,
        "{events:?}"
    );
}

/// Switching the identifier inside one sign-in keeps its limits: a locked sign-in stays
/// locked, the resend interval holds, and a code proves only the identifier it was sent to.
#[tokio::test]
async fn switching_identifiers_does_not_reset_the_otp_limits() {
    let idp = start().await;
    let ix = idp.interaction(&[]).await;
    idp.step(&ix, "identifier", json!({"identifier": "one@example.com"}))
        .await;
    let first = idp.otp("one@example.com").await;
    // Straight to another identifier: the resend interval still holds.
    assert_eq!(
        idp.step_err(&ix, "identifier", json!({"identifier": "two@example.com"}))
            .await,
        (StatusCode::TOO_MANY_REQUESTS, "otp_rate_limited".into())
    );
    idp.clock.advance_secs(31);
    idp.step(&ix, "identifier", json!({"identifier": "two@example.com"}))
        .await;
    // one@'s code does not prove two@.
    assert_eq!(
        idp.step_err(&ix, "otp/verify", json!({"code": first}))
            .await
            .1,
        "otp_invalid"
    );
    let code = idp.otp("two@example.com").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        idp.step_err(&ix, "otp/verify", json!({"code": wrong}))
            .await;
    }
    assert_eq!(
        idp.step_err(&ix, "otp/verify", json!({"code": wrong}))
            .await
            .1,
        "otp_locked"
    );
    idp.clock.advance_secs(60);
    for who in ["one@example.com", "three@example.com"] {
        assert_eq!(
            idp.step_err(&ix, "identifier", json!({"identifier": who}))
                .await
                .1,
            "otp_locked",
            "{who}"
        );
    }
}

#[tokio::test]
async fn otp_expiry_reuse_and_resend_rate_limit() {
    let idp = start().await;
    let ix = idp.interaction(&[]).await;
    idp.step(&ix, "identifier", json!({"identifier": "exp@example.com"}))
        .await;
    let first = idp.otp("exp@example.com").await;
    assert_eq!(first.len(), 6);
    assert_eq!(
        idp.step_err(&ix, "otp/send", json!({})).await,
        (StatusCode::TOO_MANY_REQUESTS, "otp_rate_limited".into())
    );
    idp.clock.advance_secs(301);
    assert_eq!(
        idp.step_err(&ix, "otp/verify", json!({"code": first}))
            .await
            .1,
        "otp_expired"
    );
    idp.step(&ix, "otp/send", json!({})).await;
    let second = idp.otp("exp@example.com").await;
    let v = idp.step(&ix, "otp/verify", json!({"code": second})).await;
    assert_eq!(v["step"], "register");
    // Used: the code cannot be entered again (the step moved on; a new interaction needs a new code).
    assert_eq!(
        idp.step_err(&ix, "otp/verify", json!({"code": second}))
            .await
            .1,
        "wrong_step"
    );
}

#[tokio::test]
async fn a_credential_id_registers_only_once() {
    let idp = start().await;
    let mut first = authenticator(1);
    idp.register("one@example.com", &mut first, &[]).await;
    let cred = &first.credentials()[0];
    let mut clone = authenticator(2);
    clone.preset_next_credential(harness::authenticator::PresetCredential {
        key: cred.key.clone(),
        id: cred.id.clone(),
    });

    let ix = idp.interaction(&[]).await;
    idp.step(&ix, "identifier", json!({"identifier": "two@example.com"}))
        .await;
    let code = idp.otp("two@example.com").await;
    idp.step(&ix, "otp/verify", json!({"code": code})).await;
    let (status, v) = idp.ceremony(&ix, &mut clone).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"], "credential_already_registered");
    let (_, users) = idp
        .get_json("/_emulator/idp/users?identifier=two@example.com")
        .await;
    assert_eq!(users["users"][0]["credentials"], json!([]));
    assert!(
        idp.journal(&ix)
            .await
            .contains(&"webauthn.register".to_owned())
    );
}

#[tokio::test]
async fn sign_up_off_refuses_unknown_identifiers() {
    let idp = start_with(|c| {
        c.idp.as_mut().unwrap().tenants[0].apps[0]
            .experience
            .sign_up = false;
    })
    .await;
    let ix = idp.interaction(&[]).await;
    let (status, name) = idp
        .step_err(&ix, "identifier", json!({"identifier": "new@example.com"}))
        .await;
    assert_eq!(
        (status, name.as_str()),
        (StatusCode::BAD_REQUEST, "user_not_found")
    );
    assert_eq!(
        idp.step_err(&ix, "identifier", json!({"identifier": "not-an-email"}))
            .await
            .1,
        "identifier_invalid"
    );
    let (_, v) = idp.get_json("/_emulator/outbox").await;
    assert_eq!(v["messages"], json!([]));
}

#[tokio::test]
async fn registration_needs_a_verified_identifier() {
    let idp = start().await;
    let ix = idp.interaction(&[]).await;
    idp.step(
        &ix,
        "identifier",
        json!({"identifier": "sneaky@example.com"}),
    )
    .await;
    assert_eq!(
        idp.step_err(&ix, "webauthn/options", json!({})).await.1,
        "wrong_step"
    );
    assert_eq!(
        idp.step_err(&ix, "webauthn/register", json!({})).await.1,
        "wrong_step"
    );
    let (status, v) = idp
        .post(
            "/cis/api/interactions/nope/identifier",
            json!({"identifier": "a@b.co"}),
        )
        .await;
    assert_eq!(
        (status, &v["error"]),
        (StatusCode::NOT_FOUND, &json!("interaction_not_found"))
    );
    let (status, _) = idp
        .post(
            &format!("/cis/api/interactions/{ix}/otp/verify"),
            json!("not an object"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(CLIENT, "mosaic-demo-client");
}

#[tokio::test]
async fn sms_otp_for_phone_identifiers_and_the_phone_alias() {
    let idp = start_with(|c| {
        let app = &mut c.idp.as_mut().unwrap().tenants[0].apps[0];
        app.experience.identifier = emulator::idp::config::Identifier::Phone;
        app.experience.secondary = vec![emulator::idp::config::Secondary::SmsOtp];
        app.phone_alias = true;
    })
    .await;
    let mut device = authenticator(5);
    let ix = idp.interaction(&[("scope", "openid phone")]).await;
    idp.step(&ix, "identifier", json!({"identifier": "+14155550100"}))
        .await;
    let (_, out) = idp
        .get_json("/_emulator/outbox?destination=%2B14155550100")
        .await;
    assert_eq!(out["messages"][0]["channel"], "sms");
    let code = out["messages"][0]["code"].as_str().unwrap().to_owned();
    idp.step(&ix, "otp/verify", json!({"code": code})).await;
    let (_, v) = idp.ceremony(&ix, &mut device).await;
    let (_, tokens) = idp
        .exchange(&code_of(v["redirect"].as_str().unwrap()).0)
        .await;
    let claims = idp
        .verify_id_token(tokens["id_token"].as_str().unwrap())
        .await;
    assert_eq!(claims["phone_number"], "+14155550100");
    assert_eq!(claims["phone_number_verified"], true);
    assert_eq!(claims["phone"], "+14155550100");
    assert_eq!(claims["amr"], json!(["sms", "webauthn"]));
    assert!(claims.get("email").is_none());
}

#[tokio::test]
async fn a_returning_user_on_a_new_device_proves_the_identifier_and_adds_a_passkey() {
    let idp = start().await;
    let mut laptop = authenticator(1);
    let first = code_of(
        &idp.register("two-devices@example.com", &mut laptop, &[])
            .await,
    )
    .0;
    let sub = idp
        .verify_id_token(idp.exchange(&first).await.1["id_token"].as_str().unwrap())
        .await["sub"]
        .clone();
    let mut tablet = authenticator(2);
    let ix = idp.interaction(&[]).await;
    let v = idp
        .step(
            &ix,
            "identifier",
            json!({"identifier": "two-devices@example.com"}),
        )
        .await;
    assert_eq!(v["step"], "passkey");
    let v = idp.step(&ix, "otp/send", json!({})).await;
    assert_eq!(v["step"], "otp", "use a code instead");
    let code = idp.otp("two-devices@example.com").await;
    idp.step(&ix, "otp/verify", json!({"code": code})).await;
    let (status, v) = idp.ceremony(&ix, &mut tablet).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let code = code_of(v["redirect"].as_str().unwrap()).0;
    let claims = idp
        .verify_id_token(idp.exchange(&code).await.1["id_token"].as_str().unwrap())
        .await;
    assert_eq!((&claims["sub"], &claims["new_user"]), (&sub, &json!(false)));
    let (_, users) = idp
        .get_json("/_emulator/idp/users?identifier=two-devices@example.com")
        .await;
    assert_eq!(
        users["users"][0]["credentials"].as_array().unwrap().len(),
        2
    );
    // Both devices now sign in.
    idp.login("two-devices@example.com", &mut laptop, &[]).await;
    idp.login("two-devices@example.com", &mut tablet, &[]).await;
}

#[tokio::test]
async fn users_passkeys_and_the_signing_key_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let storage = || emulator::Storage::Dir(dir.path().to_owned());
    let mut device = authenticator(3);
    let idp = idp_support::start_in(|_| {}, storage()).await;
    idp.register("durable@example.com", &mut device, &[]).await;
    let (_, jwks) = idp.get_json("/cis/oidc/jwks").await;
    idp.emu.stop().await;

    let idp = idp_support::start_in(|_| {}, storage()).await;
    assert_eq!(idp.get_json("/cis/oidc/jwks").await.1, jwks);
    let redirect = idp.login("durable@example.com", &mut device, &[]).await;
    let (status, tokens) = idp.exchange(&code_of(&redirect).0).await;
    assert_eq!(status, StatusCode::OK);
    idp.verify_id_token(tokens["id_token"].as_str().unwrap())
        .await;
}

#[tokio::test]
async fn reset_wipes_idp_users_and_keys() {
    let idp = start().await;
    idp.register("gone@example.com", &mut authenticator(4), &[])
        .await;
    let (_, before) = idp.get_json("/cis/oidc/jwks").await;
    let resp = idp
        .http
        .post(format!("{}/_emulator/reset", idp.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        idp.get_json("/_emulator/idp/users").await.1["users"],
        json!([])
    );
    assert_ne!(idp.get_json("/cis/oidc/jwks").await.1, before);
    let ix = idp.interaction(&[]).await;
    let v = idp
        .step(&ix, "identifier", json!({"identifier": "gone@example.com"}))
        .await;
    assert_eq!(v["step"], "otp", "the user is new again");
}

#[tokio::test]
async fn the_journal_tells_the_whole_sign_up_under_one_flow_id() {
    let idp = start().await;
    let mut device = authenticator(6);
    let ix = idp.interaction(&[]).await;
    idp.step(
        &ix,
        "identifier",
        json!({"identifier": "story@example.com"}),
    )
    .await;
    idp.step_err(&ix, "otp/verify", json!({"code": "12"})).await;
    let code = idp.otp("story@example.com").await;
    idp.step(&ix, "otp/verify", json!({"code": code})).await;
    let (_, v) = idp.ceremony(&ix, &mut device).await;
    let tokens = idp
        .exchange(&code_of(v["redirect"].as_str().unwrap()).0)
        .await
        .1;
    idp.userinfo_get(tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(
        idp.journal(&ix).await,
        [
            "oidc.authorize",
            "experience.identifier",
            "otp.sent",
            "experience.otp_verify",
            "experience.user_created",
            "experience.otp_verified",
            "webauthn.options",
            "webauthn.registered",
            "oidc.code_issued",
            "experience.completed",
            "oidc.tokens_issued",
            "oidc.userinfo",
        ]
    );
    let (_, v) = idp
        .get_json(&format!("/_emulator/journal?flow={ix}&kind=rejected"))
        .await;
    let rejected = &v["events"][0];
    assert_eq!(rejected["service"], "idp");
    assert_eq!(rejected["detail"]["error"], "otp_invalid");
    let all = serde_json::to_string(&idp.get_json("/_emulator/journal").await.1).unwrap();
    assert!(
        !all.contains(&format!("\"{code}\"")),
        "the OTP never reaches the journal"
    );
}

#[tokio::test]
async fn at_most_five_codes_per_sign_in_and_interactions_expire() {
    let idp = start().await;
    let ix = idp.interaction(&[]).await;
    idp.step(&ix, "identifier", json!({"identifier": "many@example.com"}))
        .await;
    for _ in 1..5 {
        idp.clock.advance_secs(30);
        idp.step(&ix, "otp/send", json!({})).await;
    }
    idp.clock.advance_secs(30);
    let (status, name) = idp.step_err(&ix, "otp/send", json!({})).await;
    assert_eq!(
        (status, name.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "otp_send_limit")
    );
    let (_, out) = idp
        .get_json("/_emulator/outbox?destination=many@example.com")
        .await;
    assert_eq!(out["messages"].as_array().unwrap().len(), 5);

    idp.clock.advance_secs(30 * 60);
    let (status, name) = idp.step_err(&ix, "otp/send", json!({})).await;
    assert_eq!(
        (status, name.as_str()),
        (StatusCode::GONE, "interaction_expired")
    );
    let page = idp
        .http
        .get(format!("{}/cis/login/{ix}", idp.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("start again from the app")
    );
}
