//! WebAuthn QR ("use another device") with two virtual authenticators: a desktop without a
//! platform authenticator opens a ticket, a phone attaches and runs the ceremony, the desktop
//! polls and receives the code. Also expiry, abort, single use, and a ticket finished with
//! another identity's passkey.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod idp_support;

use harness::authenticator::{Attachment, AuthenticatorConfig, VirtualAuthenticator};
use idp_support::{Idp, authenticator, code_of, start};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A desktop with only a roaming key slot and no user verification: no platform passkey.
fn desktop() -> VirtualAuthenticator {
    let config = AuthenticatorConfig {
        attachment: Attachment::CrossPlatform,
        uv_capable: false,
        ..AuthenticatorConfig::platform_passkey()
    };
    VirtualAuthenticator::with_seed(config, 99).unwrap()
}

/// Runs the desktop to the register step of a new user; returns the interaction.
async fn desktop_at_register(idp: &Idp, email: &str) -> String {
    let ix = idp.interaction(&[]).await;
    idp.step(&ix, "identifier", json!({"identifier": email}))
        .await;
    let code = idp.otp(email).await;
    let v = idp.step(&ix, "otp/verify", json!({"code": code})).await;
    assert_eq!(
        (v["step"].as_str(), v["qr_enabled"].as_bool()),
        (Some("register"), Some(true))
    );
    ix
}

async fn poll(idp: &Idp, ix: &str, ticket: &str) -> reqwest::Response {
    let url = format!("{}/cis/api/interactions/{ix}/qr/{ticket}", idp.url);
    idp.http.get(url).send().await.unwrap()
}

async fn status(idp: &Idp, ix: &str, ticket: &str) -> Value {
    poll(idp, ix, ticket).await.json().await.unwrap()
}

/// The phone opens the ticket's URL: the page, then `attach`.
async fn attach(idp: &Idp, url: &str) -> (StatusCode, Value) {
    let page = idp.http.get(url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("phone-continue"));
    let ticket = url.rsplit('/').next().unwrap();
    idp.post(&format!("/cis/api/tickets/{ticket}/attach"), json!({}))
        .await
}

async fn finish(idp: &Idp, ticket: &str, cred: Value) -> (StatusCode, Value) {
    idp.post(&format!("/cis/api/tickets/{ticket}/finish"), cred)
        .await
}

#[tokio::test]
async fn a_new_user_registers_on_the_phone_and_the_desktop_continues() {
    let idp = start().await;
    let ix = desktop_at_register(&idp, "qr@example.com").await;
    let t = idp.step(&ix, "qr", json!({})).await;
    let ticket = t["ticket"].as_str().unwrap().to_owned();
    let url = t["url"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("{}/cis/m/{ticket}", idp.url));
    assert_eq!(t["status"], "pending");
    let svg = idp
        .http
        .get(format!("{}{}", idp.url, t["qr_svg"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    // The image is the QR code of the one-time URL (same encoder, same rendering).
    let expected = qrcode::QrCode::new(url.as_bytes())
        .unwrap()
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .build();
    assert_eq!(svg.text().await.unwrap(), expected);

    let mut phone = authenticator(7);
    let (s, options) = attach(&idp, &url).await;
    assert_eq!(s, StatusCode::OK, "{options}");
    assert_eq!(
        (options["ceremony"].as_str(), options["status"].as_str()),
        (Some("create"), Some("scanned"))
    );
    assert_eq!(status(&idp, &ix, &ticket).await["status"], "scanned");
    let cred = phone
        .create(&options["publicKey"].to_string(), &idp.url)
        .unwrap();
    let (s, v) = finish(&idp, &ticket, cred).await;
    assert_eq!((s, &v["status"]), (StatusCode::OK, &json!("success")));

    let resp = poll(&idp, &ix, &ticket).await;
    assert!(
        resp.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("idp_session=")
    );
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["status"], "success");
    let (code, _) = code_of(v["redirect"].as_str().unwrap());
    let tokens = idp.exchange(&code).await.1;
    let claims = idp
        .verify_id_token(tokens["id_token"].as_str().unwrap())
        .await;
    assert_eq!(claims["amr"], json!(["eotp", "webauthn"]));
    assert_eq!(claims["email"], "qr@example.com");

    // The passkey lives on the phone: the user can now sign in there directly.
    idp.login("qr@example.com", &mut phone, &[]).await;
    let events = idp.journal(&ix).await;
    for e in [
        "qr.ticket_opened",
        "qr.status",
        "webauthn.registered",
        "experience.completed",
    ] {
        assert!(events.contains(&e.to_owned()), "{e} in {events:?}");
    }
}

#[tokio::test]
async fn a_returning_user_signs_in_with_the_phone_s_passkey() {
    let idp = start().await;
    let mut phone = authenticator(7);
    idp.register("back@example.com", &mut phone, &[]).await;

    let ix = idp.interaction(&[]).await;
    let v = idp
        .step(&ix, "identifier", json!({"identifier": "back@example.com"}))
        .await;
    assert_eq!(v["step"], "passkey");
    // The desktop has no passkey for this account.
    let o = idp.step(&ix, "webauthn/options", json!({})).await;
    let err = desktop()
        .get(&o["publicKey"].to_string(), &idp.url)
        .unwrap_err();
    assert_eq!(err.name.to_string(), "NotAllowedError");

    let t = idp.step(&ix, "qr", json!({})).await;
    let ticket = t["ticket"].as_str().unwrap();
    let (_, options) = attach(&idp, t["url"].as_str().unwrap()).await;
    assert_eq!(options["ceremony"], "get");
    let cred = phone
        .get(&options["publicKey"].to_string(), &idp.url)
        .unwrap();
    assert_eq!(finish(&idp, ticket, cred).await.0, StatusCode::OK);
    let v = status(&idp, &ix, ticket).await;
    let tokens = idp
        .exchange(&code_of(v["redirect"].as_str().unwrap()).0)
        .await
        .1;
    let claims = idp
        .verify_id_token(tokens["id_token"].as_str().unwrap())
        .await;
    assert_eq!(claims["amr"], json!(["webauthn"]));
}

#[tokio::test]
async fn tickets_expire_and_can_be_aborted() {
    let idp = start().await;
    let ix = desktop_at_register(&idp, "late@example.com").await;
    let t = idp.step(&ix, "qr", json!({})).await;
    let ticket = t["ticket"].as_str().unwrap().to_owned();
    idp.clock.advance_secs(181);
    let v = status(&idp, &ix, &ticket).await;
    assert_eq!(v["status"], "timeout");
    let (s, v) = attach(&idp, t["url"].as_str().unwrap()).await;
    assert_eq!(
        (s, &v["error"]),
        (StatusCode::GONE, &json!("ticket_expired"))
    );

    let t = idp.step(&ix, "qr", json!({})).await;
    let ticket = t["ticket"].as_str().unwrap().to_owned();
    let url = format!("{}/cis/api/interactions/{ix}/qr/{ticket}", idp.url);
    let v: Value = idp
        .http
        .delete(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "aborted");
    let (s, v) = attach(&idp, t["url"].as_str().unwrap()).await;
    assert_eq!(
        (s, &v["error"]),
        (StatusCode::GONE, &json!("ticket_aborted"))
    );
    // Another sign-in cannot read this ticket.
    let other = idp.interaction(&[]).await;
    assert_eq!(
        poll(&idp, &other, &ticket).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_ticket_is_single_use() {
    let idp = start().await;
    let ix = desktop_at_register(&idp, "once@example.com").await;
    let t = idp.step(&ix, "qr", json!({})).await;
    let (ticket, url) = (t["ticket"].as_str().unwrap(), t["url"].as_str().unwrap());
    let (_, options) = attach(&idp, url).await;
    let (s, v) = attach(&idp, url).await;
    assert_eq!(
        (s, &v["error"]),
        (StatusCode::CONFLICT, &json!("ticket_used")),
        "a second scan"
    );
    let cred = authenticator(7)
        .create(&options["publicKey"].to_string(), &idp.url)
        .unwrap();
    assert_eq!(finish(&idp, ticket, cred.clone()).await.0, StatusCode::OK);
    let (s, v) = finish(&idp, ticket, cred).await;
    assert_eq!(
        (s, &v["error"]),
        (StatusCode::CONFLICT, &json!("ticket_used"))
    );
    assert_eq!(attach(&idp, url).await.1["error"], "ticket_used");
}

#[tokio::test]
async fn a_ticket_cannot_be_finished_by_another_identity() {
    let idp = start().await;
    let mut phone_a = authenticator(1);
    idp.register("alice@example.com", &mut phone_a, &[]).await;
    let mut phone_b = authenticator(2);
    idp.register("bob@example.com", &mut phone_b, &[]).await;

    // Alice's desktop opens a ticket; Bob's phone scans it and answers with Bob's passkey.
    let ix = idp.interaction(&[]).await;
    idp.step(
        &ix,
        "identifier",
        json!({"identifier": "alice@example.com"}),
    )
    .await;
    let t = idp.step(&ix, "qr", json!({})).await;
    let ticket = t["ticket"].as_str().unwrap();
    let (_, options) = attach(&idp, t["url"].as_str().unwrap()).await;
    let mut public_key = options["publicKey"].clone();
    public_key
        .as_object_mut()
        .unwrap()
        .remove("allowCredentials");
    let cred = phone_b.get(&public_key.to_string(), &idp.url).unwrap();
    let (s, v) = finish(&idp, ticket, cred).await;
    assert_eq!(
        (s, &v["error"]),
        (StatusCode::FORBIDDEN, &json!("credential_of_another_user")),
        "{v}"
    );
    let v = status(&idp, &ix, ticket).await;
    assert_eq!(v["status"], "error");
    assert!(v["redirect"].is_null());
    // The ticket is spent: Alice's own passkey cannot reuse it.
    let cred = phone_a
        .get(&options["publicKey"].to_string(), &idp.url)
        .unwrap();
    assert_eq!(finish(&idp, ticket, cred).await.1["error"], "ticket_used");
    let events = idp.journal(&ix).await;
    assert!(
        events.contains(&"webauthn.authenticate".to_owned()),
        "{events:?}"
    );
}

/// The desktop's long poll (`?seen=<status>`) is answered when the phone changes the ticket,
/// not on a timer: held while the status is the one seen, answered at once when it is not.
#[tokio::test]
async fn the_desktop_s_long_poll_is_answered_when_the_phone_attaches() {
    let idp = start().await;
    let ix = desktop_at_register(&idp, "longpoll@example.com").await;
    let t = idp.step(&ix, "qr", json!({})).await;
    let ticket = t["ticket"].as_str().unwrap().to_owned();
    let url = t["url"].as_str().unwrap().to_owned();
    let held = format!(
        "{}/cis/api/interactions/{ix}/qr/{ticket}?seen=pending",
        idp.url
    );
    let mut waiting = tokio::spawn({
        let http = idp.http.clone();
        async move { http.get(held).send().await.unwrap().json::<Value>().await }
    });
    // Held: the status is still the one the desktop saw (an answer would end the wait).
    let early = tokio::time::timeout(std::time::Duration::from_millis(300), &mut waiting).await;
    assert!(early.is_err(), "answered while still pending: {early:?}");
    let (s, _) = attach(&idp, &url).await;
    assert_eq!(s, StatusCode::OK);
    let v = waiting.await.unwrap().unwrap();
    assert_eq!(v["status"], "scanned");
    // A status other than the one seen is answered at once.
    let at_once = format!(
        "{}/cis/api/interactions/{ix}/qr/{ticket}?seen=pending",
        idp.url
    );
    let v: Value = idp
        .http
        .get(at_once)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "scanned");
}
