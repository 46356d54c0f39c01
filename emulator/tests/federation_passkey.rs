//! Complete flows in-process over real HTTP: an app's browser goes through Cognito's hosted
//! UI to the emulated passwordless IdP, signs up with an email OTP and a passkey made by the
//! harness's virtual authenticator (later: the passkey alone), and comes back through
//! `/oauth2/idpresponse`, where Cognito exchanges the code, validates the ID token, calls
//! userinfo and runs the triggers. Covers the first and second sign-in, linking with the
//! corrected Lambda, and the guide-style Lambda whose failed link leaves two users.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod idp_support;
mod oauth_support;

use harness::authenticator::VirtualAuthenticator;
use idp_support::{Idp, authenticator};
use oauth_support::{CALLBACK, exchange, fixture, journal, params, verify, with_trigger};
use serde_json::{Map, Value, json};

use common::{CLIENT, POOL};

const ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:link";

async fn start(target: Option<String>) -> Idp {
    idp_support::start_with(|c| {
        if let Some(t) = target {
            with_trigger(c, "PreSignUp", ARN, &t);
        }
    })
    .await
}

/// The browser's trip: Cognito authorize -> IdP (OTP and registration the first time,
/// passkey alone later) -> Cognito idpresponse; returns Cognito's redirect to the app.
async fn sign_in(idp: &Idp, email: &str, device: &mut VirtualAuthenticator) -> String {
    let cognito = &idp.emu.cognito_url;
    let r = idp
        .http
        .get(format!(
            "{cognito}/oauth2/authorize?client_id={CLIENT}&redirect_uri={CALLBACK}&response_type=code&scope=openid+email&state=app-1&identity_provider=Mosaic"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let to_idp = idp_support::location(&r);
    assert!(to_idp.starts_with(&idp.url), "{to_idp}");
    let r = idp.http.get(&to_idp).send().await.unwrap();
    let login = idp_support::location(&r);
    let ix = login
        .strip_prefix("/cis/login/")
        .unwrap_or_else(|| panic!("{login}"));
    let v = idp
        .step(ix, "identifier", json!({"identifier": email}))
        .await;
    if v["step"] == "otp" {
        let code = idp.otp(email).await;
        let v = idp.step(ix, "otp/verify", json!({"code": code})).await;
        assert_eq!(v["step"], "register", "{v}");
    } else {
        assert_eq!(v["step"], "passkey", "{v}");
    }
    let (status, v) = idp.ceremony(ix, device).await;
    assert!(status.is_success(), "{v}");
    let back = v["redirect"].as_str().unwrap();
    assert!(
        back.starts_with(&format!("{cognito}/oauth2/idpresponse")),
        "{back}"
    );
    let r = idp.http.get(back).send().await.unwrap();
    assert_eq!(r.status(), 302, "{:?}", r.text().await);
    let to_app = idp_support::location(&r);
    assert!(to_app.starts_with(CALLBACK), "{to_app}");
    to_app
}

async fn id_token(idp: &Idp, callback: &str) -> Map<String, Value> {
    let base = &idp.emu.cognito_url;
    let code = params(callback)
        .get("code")
        .cloned()
        .unwrap_or_else(|| panic!("no code: {callback}"));
    let t: Value = exchange(base, CLIENT, &code, None)
        .await
        .json()
        .await
        .unwrap();
    verify(base, POOL, t["id_token"].as_str().unwrap(), Some(CLIENT)).await
}

#[tokio::test]
async fn first_then_second_federated_sign_in_with_a_passkey() {
    let idp = start(Some(format!("node:{}", fixture("link-corrected.js")))).await;
    let mut device = authenticator(11);
    let callback = sign_in(&idp, "new@example.com", &mut device).await;
    let first = id_token(&idp, &callback).await;
    let username = first["cognito:username"].as_str().unwrap().to_owned();
    assert!(username.starts_with("Mosaic_"), "{username}");
    assert_eq!(first["email"], "new@example.com");
    assert_eq!(first["identities"][0]["providerName"], "Mosaic");
    assert_eq!(params(&callback)["state"], "app-1");

    let callback = sign_in(&idp, "new@example.com", &mut device).await;
    let second = id_token(&idp, &callback).await;
    assert_eq!(second["sub"], first["sub"]);
    assert_eq!(second["cognito:username"], username.as_str());
    let base = &idp.emu.cognito_url;
    assert_eq!(
        journal(base, "kind=trigger&name=PreSignUp_ExternalProvider")
            .await
            .len(),
        1,
        "PreSignUp only on the first sign-in"
    );
    let sdk = common::sdk(base);
    assert_eq!(
        sdk.list_users()
            .user_pool_id(POOL)
            .send()
            .await
            .unwrap()
            .users()
            .len(),
        1
    );

    // The first sign-in's steps, in order, under one flow id: a scenario transcript (the
    // handler's ListUsers call through the SDK joins the flow that invoked it).
    let runs = journal(base, "kind=trigger&name=PreSignUp_ExternalProvider").await;
    let flow = runs[0]["flow"].as_str().unwrap();
    let names: Vec<String> = journal(base, &format!("flow={flow}"))
        .await
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "oauth2.authorize",
            "federation.redirect_to_idp",
            "federation.idpresponse",
            "federation.jwks_fetched",
            "federation.id_token_valid",
            "ListUsers",
            "PreSignUp_ExternalProvider",
            "federation.user_created",
            "oauth2.code_issued",
            "oauth2.token",
        ]
    );
}

#[tokio::test]
async fn linking_with_the_corrected_lambda() {
    let idp = start(Some(format!("node:{}", fixture("link-corrected.js")))).await;
    let base = idp.emu.cognito_url.clone();
    let sdk = common::sdk(&base);
    let native = common::confirmed_user(&sdk, "jane@example.com", "Passw0rd!").await;
    let mut device = authenticator(12);

    let callback = sign_in(&idp, "jane@example.com", &mut device).await;
    let p = params(&callback);
    assert_eq!(p["error"], "invalid_request");
    assert_eq!(
        p["error_description"],
        "PreSignUp failed with error re_authentication_required. "
    );

    let callback = sign_in(&idp, "jane@example.com", &mut device).await;
    let id = id_token(&idp, &callback).await;
    assert_eq!(id["cognito:username"], native.as_str());
    let u = sdk
        .admin_get_user()
        .user_pool_id(POOL)
        .username(&native)
        .send()
        .await
        .unwrap();
    let native_sub = u
        .user_attributes()
        .iter()
        .find(|a| a.name() == "sub")
        .and_then(|a| a.value())
        .unwrap();
    assert_eq!(id["sub"], native_sub);
    assert_eq!(id["identities"][0]["providerName"], "Mosaic");
    assert_eq!(
        sdk.list_users()
            .user_pool_id(POOL)
            .send()
            .await
            .unwrap()
            .users()
            .len(),
        1
    );
    assert_eq!(
        journal(&base, "kind=trigger&name=PreSignUp_ExternalProvider")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn linking_with_the_guide_style_lambda_leaves_two_users() {
    let idp = start(Some(format!("node:{}", fixture("link-guide.js")))).await;
    let base = idp.emu.cognito_url.clone();
    let sdk = common::sdk(&base);
    common::confirmed_user(&sdk, "guide@example.com", "Passw0rd!").await;
    let mut device = authenticator(13);

    let callback = sign_in(&idp, "guide@example.com", &mut device).await;
    let id = id_token(&idp, &callback).await;
    assert!(
        id["cognito:username"]
            .as_str()
            .unwrap()
            .starts_with("Mosaic_")
    );
    assert_eq!(
        sdk.list_users()
            .user_pool_id(POOL)
            .send()
            .await
            .unwrap()
            .users()
            .len(),
        2
    );
    let rejected = journal(&base, "kind=rejected&name=AdminLinkProviderForUser").await;
    assert_eq!(rejected.len(), 1);
    let message = rejected[0]["detail"]["message"].as_str().unwrap();
    // The handler's call joined the sign-in's flow: the transcript shows the failed link.
    let runs = journal(&base, "kind=trigger&name=PreSignUp_ExternalProvider").await;
    assert_eq!(rejected[0]["flow"], runs[0]["flow"]);
    assert!(
        message.contains("'providerName' is not an identity provider"),
        "{message}"
    );
}
