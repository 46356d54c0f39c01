//! The hosted UI and OAuth endpoints with native users, driven over HTTP as a browser and an
//! app would: authorize, the login page, PKCE code exchange, SSO for a second client, logout,
//! userInfo, refresh, revoke, client credentials, and the errors Cognito gives.
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
async fn authorize_errors_as_cognito_gives_them() {
    let emu = common::start().await;
    let base = emu.url().to_owned();
    let get = |q: String| {
        let base = base.clone();
        async move {
            browser()
                .get(format!("{base}/oauth2/authorize?{q}"))
                .send()
                .await
                .unwrap()
        }
    };
    // Untrusted redirect URI or unknown client: an error page, no redirect.
    let r = get(format!(
        "client_id={CLIENT}&redirect_uri=http://evil.example/cb&response_type=code"
    ))
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("redirect_mismatch"));
    let r = get(format!(
        "client_id=nope&redirect_uri={CALLBACK}&response_type=code"
    ))
    .await;
    assert_eq!(r.status(), 400);
    // After the redirect URI is trusted, errors go to the app.
    for (q, error) in [
        ("response_type=code&scope=openid+bogus", "invalid_scope"),
        ("response_type=code&scope=email", "invalid_scope"),
        ("response_type=token", "unauthorized_client"),
        ("response_type=id_token", "unsupported_response_type"),
        (
            "response_type=code&identity_provider=Unknown",
            "invalid_request",
        ),
        (
            "response_type=code&code_challenge=abc&code_challenge_method=plain",
            "invalid_request",
        ),
    ] {
        let r = get(format!(
            "client_id={CLIENT}&redirect_uri={CALLBACK}&state=s9&{q}"
        ))
        .await;
        assert_eq!(r.status(), 302, "{q}");
        let p = params(&location(&r));
        assert_eq!(p["error"], error, "{q}");
        assert_eq!(p["state"], "s9");
        assert!(!p["error_description"].is_empty());
    }
    // The login form refuses a post without the page's CSRF token.
    let r = browser()
        .post(format!(
            "{base}/login?client_id={CLIENT}&redirect_uri={CALLBACK}&response_type=code"
        ))
        .form(&[("username", "x"), ("password", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("CSRF"));
    // Token endpoint errors.
    let post = |form: Vec<(&'static str, String)>| {
        let base = base.clone();
        async move {
            let r = browser()
                .post(format!("{base}/oauth2/token"))
                .form(&form)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap()["error"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        }
    };
    assert_eq!(post(vec![]).await, (400, "invalid_request".into()));
    assert_eq!(
        post(vec![
            ("grant_type", "password".into()),
            ("client_id", CLIENT.into())
        ])
        .await,
        (400, "unsupported_grant_type".into())
    );
    assert_eq!(
        post(vec![
            ("grant_type", "authorization_code".into()),
            ("client_id", "unknown".into()),
            ("code", "x".into())
        ])
        .await,
        (401, "invalid_client".into())
    );
    assert_eq!(
        post(vec![
            ("grant_type", "authorization_code".into()),
            ("client_id", CLIENT.into()),
            ("code", "x".into())
        ])
        .await,
        (400, "invalid_grant".into())
    );
    assert_eq!(
        post(vec![
            ("grant_type", "client_credentials".into()),
            ("client_id", CLIENT.into())
        ])
        .await,
        (400, "unauthorized_client".into())
    );
    // Every refusal is in the journal.
    let j: Value = reqwest::get(format!("{base}/_emulator/journal?kind=rejected"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = j.to_string();
    assert!(
        text.contains("oauth2.authorize") && text.contains("oauth2.token"),
        "{text}"
    );
}

#[tokio::test]
async fn client_credentials_with_resource_server_scopes() {
    use aws_sdk_cognitoidentityprovider::types::{OAuthFlowType, ResourceServerScopeType};
    let emu = common::start().await;
    let base = emu.url().to_owned();
    emu.sdk
        .create_resource_server()
        .user_pool_id(POOL)
        .identifier("orders")
        .name("Orders API")
        .scopes(
            ResourceServerScopeType::builder()
                .scope_name("read")
                .scope_description("read")
                .build()
                .unwrap(),
        )
        .scopes(
            ResourceServerScopeType::builder()
                .scope_name("write")
                .scope_description("write")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let c = emu
        .sdk
        .create_user_pool_client()
        .user_pool_id(POOL)
        .client_name("machine")
        .generate_secret(true)
        .allowed_o_auth_flows(OAuthFlowType::ClientCredentials)
        .allowed_o_auth_scopes("orders/read")
        .allowed_o_auth_flows_user_pool_client(true)
        .send()
        .await
        .unwrap();
    let c = c.user_pool_client().unwrap();
    let (id, secret) = (c.client_id().unwrap(), c.client_secret().unwrap());
    let token = |auth: String, scope: &'static str| {
        let base = base.clone();
        async move {
            browser()
                .post(format!("{base}/oauth2/token"))
                .header("authorization", auth)
                .form(&[("grant_type", "client_credentials"), ("scope", scope)])
                .send()
                .await
                .unwrap()
        }
    };
    let t: Value = token(basic(id, secret), "orders/read")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        t["id_token"].is_null() && t["refresh_token"].is_null(),
        "{t}"
    );
    let claims = verify(&base, POOL, t["access_token"].as_str().unwrap(), None).await;
    assert_eq!(claims["scope"], "orders/read");
    assert_eq!(claims["sub"], id);
    let r = token(basic(id, "wrong"), "orders/read").await;
    assert_eq!(r.status(), 401);
    let r: Value = token(basic(id, secret), "orders/write")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["error"], "invalid_scope");
    // client_secret_post works too.
    let r = browser()
        .post(format!("{base}/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
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
