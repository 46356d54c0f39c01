//! The hosted UI and OAuth endpoints with native users, driven over HTTP as a browser and an
//! app would: authorize, the login page, PKCE code exchange, SSO for a second client, logout,
//! userInfo, refresh, revoke, the implicit flow. Refusals are in `oauth_endpoints.rs`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod oauth_support;

use oauth_support::*;
use serde_json::Value;

use common::{CLIENT, POOL};

fn authorize_url(base: &str, client: &str, challenge: &str, extra: &str) -> String {
    format!(
        "{base}/oauth2/authorize?client_id={client}&redirect_uri={CALLBACK}&response_type=code&scope=openid+email&state=st-1&nonce=n-1&code_challenge={challenge}&code_challenge_method=S256{extra}"
    )
}

/// Sign in on the login page; returns the callback URL and the session cookie.
async fn login(
    base: &str,
    client: &str,
    challenge: &str,
    user: &str,
    pw: &str,
) -> (String, Option<String>) {
    let b = browser();
    let r = b
        .get(authorize_url(base, client, challenge, ""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let login_path = location(&r);
    assert!(login_path.starts_with("/login?"), "{login_path}");
    let page = b.get(format!("{base}{login_path}")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"password\""), "{html}");
    assert!(html.contains("Continue with Mosaic"), "{html}");
    let r = submit_login(base, &login_path, user, pw).await;
    if r.status() == 200 {
        return (r.text().await.unwrap(), None);
    }
    assert_eq!(r.status(), 302);
    (location(&r), set_cookie(&r))
}

#[tokio::test]
async fn code_flow_with_pkce_sso_userinfo_refresh_revoke_logout() {
    let emu = common::start().await;
    let base = emu.url().to_owned();
    common::confirmed_user(&emu.sdk, "jane@example.com", "Passw0rd!").await;
    let (verifier, challenge) = pkce("a");

    let (page, _) = login(&base, CLIENT, &challenge, "jane@example.com", "wrong").await;
    assert!(page.contains("Incorrect username or password."), "{page}");

    let (callback, cookie) =
        login(&base, CLIENT, &challenge, "jane@example.com", "Passw0rd!").await;
    assert!(callback.starts_with(CALLBACK), "{callback}");
    let p = params(&callback);
    assert_eq!(p["state"], "st-1");
    let cookie = cookie.expect("hosted session cookie");

    // A wrong verifier is refused, and the code is spent.
    let r = exchange(
        &base,
        CLIENT,
        &p["code"],
        Some("not-the-verifier-000000000000000000000000000"),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let r = exchange(&base, CLIENT, &p["code"], Some(&verifier)).await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");

    // Single sign-on: the session cookie answers a new authorize request at once.
    let r = browser()
        .get(authorize_url(&base, CLIENT, &challenge, ""))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let callback = location(&r);
    assert!(callback.starts_with(CALLBACK), "{callback}");
    let code = params(&callback)["code"].clone();
    let r = exchange(&base, CLIENT, &code, None).await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "invalid_request",
        "PKCE verifier required"
    );

    let r = browser()
        .get(authorize_url(&base, CLIENT, &challenge, ""))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let code = params(&location(&r))["code"].clone();
    let t: Value = exchange(&base, CLIENT, &code, Some(&verifier))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 3600);
    let id = verify(&base, POOL, t["id_token"].as_str().unwrap(), Some(CLIENT)).await;
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["email"], "jane@example.com");
    let access = verify(&base, POOL, t["access_token"].as_str().unwrap(), None).await;
    assert_eq!(access["scope"], "openid email");
    assert_eq!(access["client_id"], CLIENT);
    let disco: Value = reqwest::get(format!("{base}/{POOL}/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(disco["token_endpoint"], format!("{base}/oauth2/token"));
    assert_eq!(
        disco["authorization_endpoint"],
        format!("{base}/oauth2/authorize")
    );
    assert_eq!(
        disco["userinfo_endpoint"],
        format!("{base}/oauth2/userInfo")
    );
    assert_eq!(disco["issuer"], format!("{base}/{POOL}"));
    let kid = |tok: &str| jsonwebtoken::decode_header(tok).unwrap().kid.unwrap();
    assert_ne!(
        kid(t["id_token"].as_str().unwrap()),
        kid(t["access_token"].as_str().unwrap())
    );

    // userInfo.
    let access_token = t["access_token"].as_str().unwrap();
    let info: Value = browser()
        .get(format!("{base}/oauth2/userInfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["email"], "jane@example.com");
    assert_eq!(info["sub"], id["sub"]);
    let r = browser()
        .get(format!("{base}/oauth2/userInfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = browser()
        .get(format!("{base}/oauth2/userInfo"))
        .bearer_auth("x.y.z")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );

    // Refresh, then revoke.
    let refresh = t["refresh_token"].as_str().unwrap();
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT),
        ("refresh_token", refresh),
    ];
    let r: Value = browser()
        .post(format!("{base}/oauth2/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        r["id_token"].is_string() && r["refresh_token"].is_null(),
        "{r}"
    );
    let refreshed = verify(&base, POOL, r["access_token"].as_str().unwrap(), None).await;
    assert_eq!(
        refreshed["scope"], "openid email",
        "a refresh keeps the scope granted at sign-in"
    );
    let r = browser()
        .post(format!("{base}/oauth2/revoke"))
        .form(&[("token", refresh), ("client_id", CLIENT)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r: Value = browser()
        .post(format!("{base}/oauth2/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["error"], "invalid_grant");
    let r = browser()
        .get(format!("{base}/oauth2/userInfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "revocation ends the session's access tokens"
    );

    // Logout ends the hosted session: the next authorize shows the login page.
    let r = browser()
        .get(format!(
            "{base}/logout?client_id={CLIENT}&logout_uri=http://localhost:3000/"
        ))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "http://localhost:3000/");
    assert!(set_cookie(&r).unwrap().ends_with('='));
    let r = browser()
        .get(authorize_url(&base, CLIENT, &challenge, ""))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(location(&r).starts_with("/login?"));
    let r = browser()
        .get(format!(
            "{base}/logout?client_id={CLIENT}&logout_uri=http://evil.example/"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_second_client_of_the_pool_gets_single_sign_on() {
    let emu = common::start().await;
    let base = emu.url().to_owned();
    common::confirmed_user(&emu.sdk, "sso@example.com", "Passw0rd!").await;
    let second = emu
        .sdk
        .create_user_pool_client()
        .user_pool_id(POOL)
        .client_name("second-app")
        .callback_urls(CALLBACK)
        .allowed_o_auth_flows(aws_sdk_cognitoidentityprovider::types::OAuthFlowType::Code)
        .allowed_o_auth_scopes("openid")
        .allowed_o_auth_scopes("email")
        .allowed_o_auth_flows_user_pool_client(true)
        .supported_identity_providers("COGNITO")
        .send()
        .await
        .unwrap();
    let second_id = second
        .user_pool_client()
        .unwrap()
        .client_id()
        .unwrap()
        .to_owned();
    let (_, challenge) = pkce("b");
    let (_, cookie) = login(&base, CLIENT, &challenge, "sso@example.com", "Passw0rd!").await;
    let cookie = cookie.unwrap();
    let url = format!(
        "{base}/oauth2/authorize?client_id={second_id}&redirect_uri={CALLBACK}&response_type=code&scope=openid"
    );
    let r = browser()
        .get(&url)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let code = params(&location(&r))["code"].clone();
    let t: Value = exchange(&base, &second_id, &code, None)
        .await
        .json()
        .await
        .unwrap();
    let id = verify(
        &base,
        POOL,
        t["id_token"].as_str().unwrap(),
        Some(&second_id),
    )
    .await;
    assert_eq!(id["email"], "sso@example.com");
    // Without the cookie the second client shows the login page.
    let r = browser().get(&url).send().await.unwrap();
    assert!(location(&r).starts_with("/login?"));
}

#[tokio::test]
async fn implicit_flow_returns_tokens_in_the_fragment() {
    use aws_sdk_cognitoidentityprovider::types::OAuthFlowType;
    let emu = common::start().await;
    let base = emu.url().to_owned();
    common::confirmed_user(&emu.sdk, "implicit@example.com", "Passw0rd!").await;
    let c = emu
        .sdk
        .create_user_pool_client()
        .user_pool_id(POOL)
        .client_name("spa")
        .callback_urls(CALLBACK)
        .allowed_o_auth_flows(OAuthFlowType::Implicit)
        .allowed_o_auth_scopes("openid")
        .allowed_o_auth_flows_user_pool_client(true)
        .supported_identity_providers("COGNITO")
        .send()
        .await
        .unwrap();
    let id = c
        .user_pool_client()
        .unwrap()
        .client_id()
        .unwrap()
        .to_owned();
    let r = browser()
        .get(format!("{base}/oauth2/authorize?client_id={id}&redirect_uri={CALLBACK}&response_type=token&scope=openid&state=imp&nonce=nn"))
        .send()
        .await
        .unwrap();
    let login = location(&r);
    let r = submit_login(&base, &login, "implicit@example.com", "Passw0rd!").await;
    let to_app = location(&r);
    assert!(to_app.starts_with(&format!("{CALLBACK}#")), "{to_app}");
    let f = params(&to_app);
    assert_eq!(f["state"], "imp");
    assert_eq!(f["token_type"], "Bearer");
    let claims = verify(&base, POOL, &f["id_token"], Some(&id)).await;
    assert_eq!(claims["nonce"], "nn");
    assert!(!f.contains_key("refresh_token"));
    verify(&base, POOL, &f["access_token"], None).await;
}
