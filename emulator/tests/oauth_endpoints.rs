//! OAuth endpoints' refusals and machine-to-machine tokens: authorize errors (error page vs.
//! redirect to the app), the login form's CSRF check, token endpoint errors, and
//! client_credentials with resource-server scopes under Basic and post client auth.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod oauth_support;

use oauth_support::*;
use serde_json::Value;

use common::{CLIENT, POOL};

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
