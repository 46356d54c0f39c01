//! The OpenID conformance checks the reference lists (Basic and Config OP plans), one test
//! each, against flows completed with a virtual authenticator: code reuse, redirect_uri
//! mismatch page, nonce echo, at_hash, kid in the JWKS, prompt=none without a session,
//! max_age and prompt=login, unknown parameters and POST to the authorization endpoint, PKCE,
//! userinfo by GET and POST, discovery, and logout (token endpoint details: `idp_tokens.rs`).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod idp_support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use idp_support::{CLIENT, ISSUER, authenticator, code_of, location, query_of, start};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

#[tokio::test]
async fn a_reused_code_is_invalid_grant_and_revokes_its_tokens() {
    let idp = start().await;
    let redirect = idp
        .register("reuse@example.com", &mut authenticator(1), &[])
        .await;
    let code = code_of(&redirect).0;
    let (status, tokens) = idp.exchange(&code).await;
    assert_eq!(status, StatusCode::OK);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(idp.userinfo_get(access).await.0, StatusCode::OK);
    let (status, err) = idp.exchange(&code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"], "invalid_grant");
    let (status, err) = idp.userinfo_get(access).await;
    assert_eq!(
        (status, &err["error"]),
        (StatusCode::UNAUTHORIZED, &json!("invalid_token"))
    );
}

#[tokio::test]
async fn an_unregistered_redirect_uri_gets_an_error_page_never_a_redirect() {
    let idp = start().await;
    for (extra, error) in [
        (
            vec![("redirect_uri", "https://evil.example/cb")],
            "invalid_redirect_uri",
        ),
        (vec![("redirect_uri", "")], "invalid_request"),
        (vec![("client_id", "nobody")], "invalid_client"),
        (vec![("client_id", "")], "invalid_request"),
    ] {
        let resp = idp.authorize(&extra, None).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{extra:?}");
        assert!(resp.headers().get("location").is_none());
        let page = resp.text().await.unwrap();
        assert!(page.contains(error), "{page}");
        if error == "invalid_redirect_uri" {
            assert!(
                page.contains(
                    "redirect_uri did not match any of the client&#39;s registered redirect_uris"
                ),
                "{page}"
            );
        }
    }
    let (_, v) = idp
        .get_json("/_emulator/journal?kind=rejected&name=oidc.authorize")
        .await;
    assert_eq!(v["events"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn other_errors_are_redirected_with_state() {
    let idp = start().await;
    for (extra, error) in [
        (vec![("response_type", "")], "invalid_request"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("scope", "email")], "invalid_scope"),
        (vec![("scope", "openid admin")], "invalid_scope"),
        (vec![("prompt", "none login")], "invalid_request"),
        (vec![("max_age", "-1")], "invalid_request"),
    ] {
        let resp = idp.authorize(&extra, None).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{extra:?}");
        let q = query_of(&location(&resp));
        assert!(location(&resp).starts_with(&idp.redirect_uri()));
        assert_eq!(q["error"], error, "{extra:?}");
        assert_eq!(q["state"], "st-1");
        assert!(!q["error_description"].is_empty());
    }
}

#[tokio::test]
async fn the_nonce_is_echoed_and_a_flow_without_nonce_succeeds() {
    let idp = start().await;
    let mut device = authenticator(1);
    let code = code_of(
        &idp.register("nonce@example.com", &mut device, &[("nonce", "abc-123")])
            .await,
    )
    .0;
    let tokens = idp.exchange(&code).await.1;
    let claims = idp
        .verify_id_token(tokens["id_token"].as_str().unwrap())
        .await;
    assert_eq!(claims["nonce"], "abc-123");
    let code = code_of(
        &idp.login("nonce@example.com", &mut device, &[("nonce", "")])
            .await,
    )
    .0;
    let tokens = idp.exchange(&code).await.1;
    let claims = idp
        .verify_id_token(tokens["id_token"].as_str().unwrap())
        .await;
    assert!(claims.get("nonce").is_none(), "{claims}");
}

#[tokio::test]
async fn at_hash_iss_aud_and_times_are_correct() {
    let idp = start().await;
    let code = code_of(
        &idp.register("hash@example.com", &mut authenticator(1), &[])
            .await,
    )
    .0;
    let tokens = idp.exchange(&code).await.1;
    let claims = idp
        .verify_id_token(tokens["id_token"].as_str().unwrap())
        .await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        claims["at_hash"],
        B64URL.encode(&sha256(access.as_bytes())[..16])
    );
    assert_eq!(
        (claims["iss"].as_str(), claims["aud"].as_str()),
        (Some(ISSUER), Some(CLIENT))
    );
    let (iat, exp, auth_time) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
        claims["auth_time"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 3600);
    assert!(auth_time <= iat);
    assert!(!claims["sub"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn the_kid_is_in_the_jwks_and_unique() {
    let idp = start().await;
    let code = code_of(
        &idp.register("kid@example.com", &mut authenticator(1), &[])
            .await,
    )
    .0;
    let tokens = idp.exchange(&code).await.1;
    let header = tokens["id_token"]
        .as_str()
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .to_owned();
    let header: Value = serde_json::from_slice(&B64URL.decode(header).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    let (_, jwks) = idp.get_json("/cis/oidc/jwks").await;
    let kids: Vec<&Value> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["kid"])
        .collect();
    assert_eq!(
        kids.iter().filter(|k| **k == &header["kid"]).count(),
        1,
        "{jwks}"
    );
    assert!(jwks["keys"][0].get("d").is_none(), "no private parts");
}

#[tokio::test]
async fn prompt_none_needs_a_session_and_uses_it() {
    let idp = start().await;
    let resp = idp.authorize(&[("prompt", "none")], None).await;
    let q = query_of(&location(&resp));
    assert_eq!(
        (q["error"].as_str(), q["state"].as_str()),
        ("login_required", "st-1")
    );

    let (redirect, cookie) = idp
        .register_session("sso@example.com", &mut authenticator(1))
        .await;
    let first = idp
        .verify_id_token(
            idp.exchange(&code_of(&redirect).0).await.1["id_token"]
                .as_str()
                .unwrap(),
        )
        .await;
    let resp = idp
        .authorize(&[("prompt", "none"), ("nonce", "n-sso")], Some(&cookie))
        .await;
    let (code, state) = code_of(&location(&resp));
    assert_eq!(state.as_deref(), Some("st-1"));
    let claims = idp
        .verify_id_token(idp.exchange(&code).await.1["id_token"].as_str().unwrap())
        .await;
    assert_eq!(
        (&claims["sub"], &claims["auth_time"]),
        (&first["sub"], &first["auth_time"])
    );
    assert_eq!(claims["nonce"], "n-sso");

    // A login_hint naming someone else does not reuse the session.
    let resp = idp
        .authorize(&[("login_hint", "other@example.com")], Some(&cookie))
        .await;
    assert!(location(&resp).starts_with("/cis/login/"));
    let resp = idp
        .authorize(&[("login_hint", "SSO@example.com")], Some(&cookie))
        .await;
    assert!(location(&resp).starts_with(&idp.redirect_uri()));

    // After logout the session is gone.
    let resp = idp
        .http
        .get(format!("{}/cis/oidc/session/end", idp.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = idp.authorize(&[("prompt", "none")], Some(&cookie)).await;
    assert_eq!(query_of(&location(&resp))["error"], "login_required");
}

#[tokio::test]
async fn max_age_and_prompt_login_force_a_new_login() {
    let idp = start().await;
    let (_, cookie) = idp
        .register_session("age@example.com", &mut authenticator(1))
        .await;
    idp.clock.advance_secs(120);
    let to_login = |resp: &reqwest::Response| location(resp).starts_with("/cis/login/");
    assert!(to_login(
        &idp.authorize(&[("max_age", "60")], Some(&cookie)).await
    ));
    assert!(to_login(
        &idp.authorize(&[("prompt", "login")], Some(&cookie)).await
    ));
    let resp = idp
        .authorize(&[("max_age", "60"), ("prompt", "none")], Some(&cookie))
        .await;
    assert_eq!(query_of(&location(&resp))["error"], "login_required");
    let resp = idp.authorize(&[("max_age", "600")], Some(&cookie)).await;
    let code = code_of(&location(&resp)).0;
    let claims = idp
        .verify_id_token(idp.exchange(&code).await.1["id_token"].as_str().unwrap())
        .await;
    assert!(claims["iat"].as_i64().unwrap() - claims["auth_time"].as_i64().unwrap() >= 120);
}

#[tokio::test]
async fn unknown_parameters_are_ignored_and_post_works() {
    let idp = start().await;
    let resp = idp
        .authorize(
            &[
                ("foo", "bar"),
                ("ui_locales", "fr"),
                ("createNewUser", "true"),
                ("acr_values", "x"),
            ],
            None,
        )
        .await;
    assert!(location(&resp).starts_with("/cis/login/"));
    let resp = idp
        .http
        .post(format!("{}/cis/oidc/auth", idp.url))
        .form(&idp.auth_params(&[("extra", "1")]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with("/cis/login/"));
    let mut dup = idp.auth_params(&[]);
    dup.push(("state".into(), "again".into()));
    let resp = idp
        .http
        .get(format!("{}/cis/oidc/auth", idp.url))
        .query(&dup)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::BAD_REQUEST,
        "a repeated parameter is refused"
    );
}

#[tokio::test]
async fn pkce_s256_is_verified() {
    let idp = start().await;
    let mut device = authenticator(1);
    let verifier = "a-verifier-of-at-least-forty-three-characters-1234567890";
    let challenge = B64URL.encode(sha256(verifier.as_bytes()));
    let pkce = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let code = code_of(&idp.register("pkce@example.com", &mut device, &pkce).await).0;
    let redirect_uri = idp.redirect_uri();
    let form = |code: &str, v: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", redirect_uri.clone()),
            ("code_verifier", v.to_owned()),
        ]
    };
    let (_, err) = idp
        .token(
            &form(&code, "wrong-verifier-wrong-verifier-wrong-verifier-00")
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(err["error"], "invalid_grant");
    let code = code_of(&idp.login("pkce@example.com", &mut device, &pkce).await).0;
    let (status, _) = idp
        .token(
            &form(&code, verifier)
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let code = code_of(&idp.login("pkce@example.com", &mut device, &pkce).await).0;
    let (_, err) = idp.exchange(&code).await;
    assert_eq!(err["error"], "invalid_grant", "the verifier is required");
    let resp = idp
        .authorize(
            &[
                ("code_challenge", &challenge),
                ("code_challenge_method", "plain"),
            ],
            None,
        )
        .await;
    assert_eq!(query_of(&location(&resp))["error"], "invalid_request");
}

#[tokio::test]
async fn userinfo_by_get_post_header_and_post_body() {
    let idp = start().await;
    let code = code_of(
        &idp.register("me@example.com", &mut authenticator(1), &[])
            .await,
    )
    .0;
    let tokens = idp.exchange(&code).await.1;
    let access = tokens["access_token"].as_str().unwrap();
    let sub = idp
        .verify_id_token(tokens["id_token"].as_str().unwrap())
        .await["sub"]
        .clone();
    let expected = json!({"sub": sub, "email": "me@example.com", "email_verified": true});
    assert_eq!(
        idp.userinfo_get(access).await,
        (StatusCode::OK, expected.clone())
    );
    let url = format!("{}/cis/oidc/me", idp.url);
    let resp = idp
        .http
        .post(&url)
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap(), expected);
    let resp = idp
        .http
        .post(&url)
        .form(&[("access_token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap(), expected);
    let resp = idp.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(
        resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(idp.userinfo_get("forged").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn discovery_lists_the_fields_and_pins_the_issuer() {
    let idp = start().await;
    let resp = idp
        .http
        .get(format!(
            "{}/cis/oidc/.well-known/openid-configuration",
            idp.url
        ))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    let d: Value = resp.json().await.unwrap();
    assert_eq!(d["issuer"], ISSUER);
    for (k, path) in [
        ("authorization_endpoint", "/cis/oidc/auth"),
        ("token_endpoint", "/cis/oidc/token"),
        ("userinfo_endpoint", "/cis/oidc/me"),
        ("jwks_uri", "/cis/oidc/jwks"),
    ] {
        assert_eq!(d[k], format!("{}{path}", idp.url), "{k}");
    }
    for k in [
        "response_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
        "scopes_supported",
        "claims_supported",
        "grant_types_supported",
        "code_challenge_methods_supported",
    ] {
        assert!(
            !d[k].as_array().unwrap_or_else(|| panic!("{k}")).is_empty(),
            "{k}"
        );
    }
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(d["id_token_signing_alg_values_supported"], json!(["RS256"]));
}
