//! The IdP's token endpoint beyond the conformance checks: codes bound to their redirect_uri
//! and short-lived, concurrent exchanges of one code, PKCE in place of the client secret,
//! refresh tokens with `offline_access`, Basic client authentication and revocation.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod idp_support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use idp_support::{CLIENT, SECRET, authenticator, code_of, location, query_of, start, start_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

#[tokio::test]
async fn a_code_expires_and_is_bound_to_its_redirect_uri() {
    let idp = start().await;
    let mut device = authenticator(1);
    idp.register("late@example.com", &mut device, &[]).await;
    let code = code_of(&idp.login("late@example.com", &mut device, &[]).await).0;
    let (status, err) = idp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://localhost:1/other"),
        ])
        .await;
    assert_eq!(
        (status, &err["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );
    let code = code_of(&idp.login("late@example.com", &mut device, &[]).await).0;
    idp.clock.advance_secs(61);
    let (_, err) = idp.exchange(&code).await;
    assert_eq!(err["error"], "invalid_grant");
    assert!(
        err["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn pkce_can_replace_the_secret_per_app() {
    let idp = start_with(|c| {
        c.idp.as_mut().unwrap().tenants[0].apps[0].pkce =
            emulator::idp::config::PkceMode::RequiredInsteadOfSecret;
    })
    .await;
    let resp = idp.authorize(&[], None).await;
    assert_eq!(
        query_of(&location(&resp))["error"],
        "invalid_request",
        "PKCE is required"
    );
    let verifier = "another-verifier-of-at-least-forty-three-characters-123";
    let challenge = B64URL.encode(sha256(verifier.as_bytes()));
    let pkce = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let code = code_of(
        &idp.register("public@example.com", &mut authenticator(1), &pkce)
            .await,
    )
    .0;
    let redirect_uri = idp.redirect_uri();
    let body = [
        ("client_id", CLIENT),
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", &redirect_uri),
        ("code_verifier", verifier),
    ];
    let resp = idp
        .http
        .post(format!("{}/cis/oidc/token", idp.url))
        .form(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn refresh_with_offline_access_basic_auth_and_revocation() {
    let idp = start().await;
    let scope = [("scope", "openid email offline_access")];
    let code = code_of(
        &idp.register("off@example.com", &mut authenticator(1), &scope)
            .await,
    )
    .0;
    let redirect_uri = idp.redirect_uri();
    let resp = idp
        .http
        .post(format!("{}/cis/oidc/token", idp.url))
        .basic_auth(CLIENT, Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let tokens: Value = resp.json().await.unwrap();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("offline_access gives a refresh token");
    let (status, renewed) = idp
        .token(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    idp.verify_id_token(renewed["id_token"].as_str().unwrap())
        .await;
    let (status, err) = idp.token(&[("grant_type", "password")]).await;
    assert_eq!(
        (status, &err["error"]),
        (StatusCode::BAD_REQUEST, &json!("unsupported_grant_type"))
    );
    let resp = idp
        .http
        .post(format!("{}/cis/oidc/token", idp.url))
        .form(&[
            ("client_id", CLIENT),
            ("client_secret", "nope"),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = idp
        .http
        .post(format!("{}/cis/oidc/token/revocation", idp.url))
        .form(&[
            ("client_id", CLIENT),
            ("client_secret", SECRET),
            ("token", refresh),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, err) = idp
        .token(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .await;
    assert_eq!(err["error"], "invalid_grant");
    assert_eq!(
        idp.userinfo_get(renewed["access_token"].as_str().unwrap())
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn of_two_concurrent_exchanges_of_one_code_one_wins() {
    let idp = start().await;
    let code = code_of(
        &idp.register("race@example.com", &mut authenticator(1), &[])
            .await,
    )
    .0;
    let (a, b) = tokio::join!(idp.exchange(&code), idp.exchange(&code));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST]);
    let winner = if a.0 == StatusCode::OK { a.1 } else { b.1 };
    let (status, _) = idp
        .userinfo_get(winner["access_token"].as_str().unwrap())
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the reuse revoked the winner's tokens"
    );
}
