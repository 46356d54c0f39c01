//! The real JavaScript clients, unmodified, against the emulator: the Node.js suites of
//! `fixtures/clients` (amazon-cognito-identity-js and Amplify JS v6: SRP for 300 random users,
//! MFA, custom auth, devices, refresh, self-service), and amazon-cognito-identity-js bundled
//! for a page on another origin signing in with SRP in headless Chromium (CORS), and Amplify JS
//! v6 bundled for a page that registers a passkey, signs in with it and deletes it, answered by
//! Chromium's virtual authenticator. Needs Node.js with `npm ci --prefix fixtures/clients`
//! (`just setup`) and, for the browser tests, Chromium and chromedriver.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use harness::authenticator::AuthenticatorConfig;
use harness::driver::browser::chromedriver::Chromedriver;

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/clients")
}

/// The emulator with the suites' config (no pools: each suite creates its own).
async fn start() -> common::Emu {
    let config = emulator::Config::load(&clients_dir().join("emulator.toml")).unwrap();
    common::start_with(config).await
}

fn require_node_modules() {
    let dir = clients_dir().join("node_modules");
    assert!(
        dir.join("amazon-cognito-identity-js").exists() && dir.join("aws-amplify").exists(),
        "{} is missing: run `just setup` (npm ci --prefix fixtures/clients)",
        dir.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_js_and_amplify_suites_pass() {
    require_node_modules();
    let emu = start().await;
    let endpoint = emu.url().to_owned();
    let out = tokio::process::Command::new("node")
        .args([
            "--test",
            "--test-concurrency=1",
            "--test-reporter=spec",
            "test/",
        ])
        .current_dir(clients_dir())
        .env("COGNITO_ENDPOINT", &endpoint)
        .kill_on_drop(true)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the client suites failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("pass") && !stdout.contains("\n✖"),
        "{stdout}"
    );
}

/// Serves `fixtures/clients` (the page and its bundle) on its own loopback port.
async fn serve_clients() -> (String, tokio::task::JoinHandle<()>) {
    async fn file(Path(path): Path<String>) -> impl IntoResponse {
        let allowed = [
            "web/index.html",
            "dist/cognito-identity.js",
            "web/amplify-passkeys.html",
            "dist/amplify-passkeys.js",
        ];
        if !allowed.contains(&path.as_str()) {
            return (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "text/plain")],
                Vec::new(),
            );
        }
        let body = std::fs::read(clients_dir().join(&path)).unwrap_or_default();
        let kind = if path.ends_with(".html") {
            "text/html"
        } else {
            "text/javascript"
        };
        (StatusCode::OK, [(header::CONTENT_TYPE, kind)], body)
    }
    let app = Router::new().route("/{*path}", axum::routing::get(file));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://localhost:{port}"), task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_on_another_origin_signs_in_with_srp_in_chromium() {
    require_node_modules();
    let bundled = Command::new("npm")
        .args(["run", "--silent", "bundle"])
        .current_dir(clients_dir())
        .status()
        .expect("npm runs");
    assert!(bundled.success(), "npm run bundle failed");
    let emu = start().await;
    let sdk = &emu.sdk;
    let pool = sdk
        .create_user_pool()
        .pool_name("web")
        .send()
        .await
        .unwrap();
    let pool_id = pool.user_pool().unwrap().id().unwrap().to_owned();
    let client = sdk
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("spa")
        .explicit_auth_flows(
            aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowUserSrpAuth,
        )
        .explicit_auth_flows(
            aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowRefreshTokenAuth,
        )
        .send()
        .await
        .unwrap();
    let client_id = client
        .user_pool_client()
        .unwrap()
        .client_id()
        .unwrap()
        .to_owned();
    sdk.admin_create_user()
        .user_pool_id(&pool_id)
        .username("webuser")
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    sdk.admin_set_user_password()
        .user_pool_id(&pool_id)
        .username("webuser")
        .password("Cross-0rigin!")
        .permanent(true)
        .send()
        .await
        .unwrap();

    let (site, server) = serve_clients().await;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("endpoint", emu.url())
        .append_pair("pool", &pool_id)
        .append_pair("client", &client_id)
        .append_pair("user", "webuser")
        .append_pair("password", "Cross-0rigin!")
        .finish();
    let driver = Chromedriver::start().await.unwrap();
    let window = driver
        .window(&AuthenticatorConfig::default())
        .await
        .unwrap();
    window
        .client
        .goto(&format!("{site}/web/index.html?{query}"))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let result = loop {
        let status = window
            .client
            .execute(
                "return document.getElementById('status').textContent",
                vec![],
            )
            .await
            .unwrap();
        if status == "done" {
            break window
                .client
                .execute(
                    "return document.getElementById('result').textContent",
                    vec![],
                )
                .await
                .unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the page did not finish signing in"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    window.close().await;
    server.abort();
    assert_eq!(result, "ok:webuser");
    let preflights = reqwest::get(format!("{}/_emulator/journal?name=InitiateAuth", emu.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(preflights.contains("InitiateAuth"), "{preflights}");
}

/// The journal's events named `name` of one kind (`api_call`, `rejected`).
async fn journal(url: &str, kind: &str, name: &str) -> Vec<serde_json::Value> {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("kind", kind)
        .append_pair("name", name)
        .finish();
    let body: serde_json::Value = reqwest::get(format!("{url}/_emulator/journal?{query}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["events"].as_array().cloned().unwrap_or_default()
}

/// Amplify JS v6, unmodified, in Chromium: signs in with SRP, registers a passkey
/// (`associateWebAuthnCredential`, answered by the window's virtual platform authenticator),
/// lists it, signs out, signs in with USER_AUTH preferring WEB_AUTHN, and deletes the passkey.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amplify_registers_and_signs_in_with_a_passkey_in_chromium() {
    use aws_sdk_cognitoidentityprovider::types::{
        AttributeType, AuthFactorType, ExplicitAuthFlowsType, MessageActionType,
        UsernameAttributeType,
    };
    require_node_modules();
    let bundled = Command::new("npm")
        .args(["run", "--silent", "bundle:amplify"])
        .current_dir(clients_dir())
        .status()
        .expect("npm runs");
    assert!(bundled.success(), "npm run bundle:amplify failed");
    let emu = start().await;
    let sdk = &emu.sdk;
    let (site, server) = serve_clients().await;

    let pool = sdk
        .create_user_pool()
        .pool_name("amplify-passkeys")
        .username_attributes(UsernameAttributeType::Email)
        .send()
        .await
        .unwrap();
    let pool_id = pool.user_pool().unwrap().id().unwrap().to_owned();
    common::allow_first_factors(
        sdk,
        &pool_id,
        &[AuthFactorType::WebAuthn, AuthFactorType::EmailOtp],
    )
    .await;
    // The relying party accepts the origins of the client's callback URLs whose host is the
    // RP ID (`localhost`, the emulator's host): the page's origin is one.
    let client = sdk
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("amplify-spa")
        .callback_urls(format!("{site}/callback"))
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap();
    let client_id = client
        .user_pool_client()
        .unwrap()
        .client_id()
        .unwrap()
        .to_owned();
    let email = "passkey@example.com";
    let password = "Passk3y-first!";
    let attr = |name: &str, value: &str| {
        AttributeType::builder()
            .name(name)
            .value(value)
            .build()
            .unwrap()
    };
    let created = sdk
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username(email)
        .user_attributes(attr("email", email))
        .user_attributes(attr("email_verified", "true"))
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let username = created.user().unwrap().username().unwrap().to_owned();
    sdk.admin_set_user_password()
        .user_pool_id(&pool_id)
        .username(email)
        .password(password)
        .permanent(true)
        .send()
        .await
        .unwrap();

    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("endpoint", emu.url())
        .append_pair("pool", &pool_id)
        .append_pair("client", &client_id)
        .append_pair("user", email)
        .append_pair("password", password)
        .finish();
    // An internal platform authenticator with resident keys and user verification.
    let device = AuthenticatorConfig::platform_passkey();
    assert!(device.resident_keys && device.uv_capable && device.uv_succeeds);
    let driver = Chromedriver::start().await.unwrap();
    let window = driver.window(&device).await.unwrap();
    window
        .client
        .goto(&format!("{site}/web/amplify-passkeys.html?{query}"))
        .await
        .unwrap();
    let read = |id: &'static str| {
        let client = window.client.clone();
        async move {
            client
                .execute(
                    &format!("return document.getElementById('{id}').textContent"),
                    vec![],
                )
                .await
                .unwrap()
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let status = read("status").await;
        if status != "pending" {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the page did not finish: {}",
            read("log").await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let result = read("result").await;
    window.close().await;
    server.abort();
    let rejected = reqwest::get(format!("{}/_emulator/journal?kind=rejected", emu.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        status, "done",
        "the page failed: {result}\nrejected calls: {rejected}"
    );

    println!("{result}");
    let summary: serde_json::Value = serde_json::from_str(&result).unwrap();
    let steps = summary["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "configure",
            "signInWithPassword",
            "associateWebAuthnCredential",
            "listAfterRegistration",
            "signOut",
            "signInWithPasskey",
            "fetchAuthSession",
            "deleteWebAuthnCredential",
            "listAfterDeletion",
        ],
        "{result}"
    );
    assert!(steps.iter().all(|s| s["outcome"] == "ok"), "{result}");
    let detail = |name: &str| {
        steps
            .iter()
            .find(|s| s["step"] == name)
            .map(|s| s["detail"].clone())
            .unwrap()
    };
    assert_eq!(detail("signInWithPassword")["isSignedIn"], true);
    assert_eq!(detail("signInWithPassword")["signInStep"], "DONE");
    let listed = detail("listAfterRegistration");
    assert_eq!(listed["count"], 1, "{listed}");
    assert_eq!(listed["relyingPartyId"], "localhost", "{listed}");
    assert_eq!(listed["authenticatorAttachment"], "platform", "{listed}");
    assert!(
        listed["authenticatorTransports"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "internal")),
        "{listed}"
    );
    let credential_id = listed["credentialId"].as_str().unwrap().to_owned();
    assert!(!credential_id.is_empty());
    assert_eq!(detail("signInWithPasskey")["isSignedIn"], true);
    assert_eq!(detail("signInWithPasskey")["signInStep"], "DONE");
    let session = detail("fetchAuthSession");
    assert_eq!(session["username"], username.as_str(), "{session}");
    assert_eq!(session["tokenUse"], "access", "{session}");
    assert_eq!(session["email"], email, "{session}");
    assert_eq!(detail("listAfterDeletion")["count"], 0);

    // What the emulator saw: every call Amplify made succeeded, in the expected shape.
    let url = emu.url();
    assert_eq!(rejected_count(&rejected), 0, "{rejected}");
    for (name, count) in [
        ("StartWebAuthnRegistration", 1),
        ("CompleteWebAuthnRegistration", 1),
        ("ListWebAuthnCredentials", 2),
        ("DeleteWebAuthnCredential", 1),
    ] {
        let events = journal(url, "api_call", name).await;
        assert_eq!(events.len(), count, "{name}: {events:?}");
    }
    let deleted = journal(url, "api_call", "DeleteWebAuthnCredential").await;
    assert_eq!(
        deleted[0]["detail"]["request"]["CredentialId"], credential_id,
        "{deleted:?}"
    );
    let initiated = journal(url, "api_call", "InitiateAuth").await;
    let flows: Vec<&str> = initiated
        .iter()
        .map(|e| {
            e["detail"]["request"]["AuthFlow"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(flows, ["USER_SRP_AUTH", "USER_AUTH"], "{initiated:?}");
    let responded = journal(url, "api_call", "RespondToAuthChallenge").await;
    let challenges: Vec<&str> = responded
        .iter()
        .map(|e| {
            e["detail"]["request"]["ChallengeName"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        challenges,
        ["PASSWORD_VERIFIER", "WEB_AUTHN"],
        "{responded:?}"
    );
}

fn rejected_count(journal: &str) -> usize {
    serde_json::from_str::<serde_json::Value>(journal).unwrap()["events"]
        .as_array()
        .map_or(0, Vec::len)
}
