//! The real JavaScript clients, unmodified, against the emulator: the Node.js suites of
//! `fixtures/clients` (amazon-cognito-identity-js and Amplify JS v6: SRP for 300 random users,
//! MFA, custom auth, devices, refresh, self-service), and amazon-cognito-identity-js bundled
//! for a page on another origin signing in with SRP in headless Chromium (CORS). Needs Node.js
//! with `npm ci --prefix fixtures/clients` (`just setup`) and, for the second, Chromium.
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
        let allowed = ["web/index.html", "dist/cognito-identity.js"];
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
