//! The fixture app (`fixtures/clients/app`: Amplify JS v6, unmodified, bundled from npm) in
//! Chromium against the emulator in HTTPS mode: "Sign in" is `signInWithRedirect` to the
//! `Mosaic` provider through Cognito's HTTPS hosted UI; the user signs up at the IdP with an
//! emailed code and a passkey (Chromium's virtual authenticator); back in the app,
//! `fetchAuthSession()` holds the tokens; "Sign out" goes through `/logout`; a day later the
//! same user signs in with the passkey alone. Needs Node.js with `npm ci --prefix
//! fixtures/clients` (`just setup`), Chromium and chromedriver.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use emulator::clock::{Clock, ManualClock, SystemClock};
use harness::app_server::AppServer;
use harness::authenticator::AuthenticatorConfig;
use harness::driver::browser::chromedriver::{Chromedriver, Window};
use harness::driver::browser::{Locator, wait_value};
use harness::driver::cognito::CognitoClient;
use harness::driver::{RunTls, client_builder, latest_code};
use serde_json::{Value, json};

const POOL: &str = "us-east-1_Mosaic001";
const SCOPES: [&str; 4] = [
    "openid",
    "email",
    "profile",
    "aws.cognito.signin.user.admin",
];

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/clients")
}

fn bundle_the_app() {
    let dir = clients_dir();
    assert!(
        dir.join("node_modules/aws-amplify").exists(),
        "{} is missing: run `just setup` (npm ci --prefix fixtures/clients)",
        dir.join("node_modules").display()
    );
    let bundled = std::process::Command::new("npm")
        .args(["run", "--silent", "bundle:app"])
        .current_dir(&dir)
        .status()
        .expect("npm runs");
    assert!(bundled.success(), "npm run bundle:app failed");
}

/// Waits for the app to show `status`; answers its session panel.
async fn app_shows(w: &Window, app: &str, status: &str) -> String {
    let script = format!(
        "return location.href.startsWith({app:?}) && \
         document.getElementById('status')?.textContent === {status:?} \
         ? document.getElementById('session').textContent : null"
    );
    let v = wait_value(w, &format!("the app to show {status}"), &script)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    v.as_str().unwrap_or_default().to_owned()
}

async fn press(w: &Window, id: &str) {
    let script = format!(
        "const b = document.getElementById({id:?}); return b && !b.hidden && !b.disabled ? true : null"
    );
    wait_value(w, &format!("#{id}"), &script).await.unwrap();
    w.client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn type_into(w: &Window, id: &str, text: &str) {
    let field = w.client.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Waits for the IdP's page to show `step` (its script's state).
async fn idp_step(w: &Window, step: &str) {
    let script = format!("return typeof S !== 'undefined' && S.step === {step:?} ? true : null");
    wait_value(w, &format!("the IdP's {step} step"), &script)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amplify_app_signs_in_through_the_https_hosted_ui_with_a_passkey() {
    bundle_the_app();
    let started = Instant::now();
    let tls = RunTls::new_ca().unwrap();
    let ca = tls.authority.clone().unwrap();
    let mut config = emulator::Config::default_config().with_ephemeral_ports();
    config.tls.enabled = true;
    // Real time (the browser's Amplify compares token expiry with it), moved on below.
    let clock = Arc::new(ManualClock::new(SystemClock.now_millis()));
    let options = emulator::Options {
        clock: clock.clone(),
        tls_authority: Some(ca.clone()),
        ..emulator::Options::default()
    };
    let emu = emulator::start_with(config, options).await.unwrap();
    let cognito = emu.cognito_url.clone();
    let idp = emu.idp_url.clone().unwrap();
    assert!(cognito.starts_with("https://localhost:"), "{cognito}");
    assert!(idp.starts_with("https://idp.localhost:"), "{idp}");

    let app = AppServer::start(&clients_dir().join("app"), Some(&ca))
        .await
        .unwrap();
    let api = CognitoClient::trusting(&cognito, Some(&tls.trust)).unwrap();
    let created = api
        .call(
            "CreateUserPoolClient",
            json!({
                "UserPoolId": POOL, "ClientName": "amplify-fixture-app",
                "CallbackURLs": [format!("{}/", app.url)], "LogoutURLs": [format!("{}/", app.url)],
                "AllowedOAuthFlows": ["code"], "AllowedOAuthFlowsUserPoolClient": true,
                "AllowedOAuthScopes": SCOPES, "SupportedIdentityProviders": ["Mosaic"],
                "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
            }),
        )
        .await
        .unwrap();
    let client_id = created["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned();
    let config = harness::app_under_test::amplify_config(&cognito, &client_id, &app.url);
    app.put("amplify-config.json", config.to_string());

    let driver = Chromedriver::start()
        .await
        .unwrap()
        .trusting(Some(tls.trust.spki_sha256.clone()));
    let w = driver
        .window(&AuthenticatorConfig::platform_passkey())
        .await
        .unwrap();
    let http = client_builder(Some(&tls.trust)).build().unwrap();
    let email = "amplify.user@example.com";

    // Sign up: the hosted UI, the IdP's code and a new passkey.
    w.client.goto(&app.url).await.unwrap();
    app_shows(&w, &app.url, "signed out").await;
    press(&w, "sign-in").await;
    idp_step(&w, "identifier").await;
    assert!(
        w.client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .starts_with(&idp)
    );
    type_into(&w, "identifier", email).await;
    press(&w, "identifier-submit").await;
    idp_step(&w, "otp").await;
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("idp-otp-step.png");
    std::fs::write(&shot, w.screenshot().await.unwrap()).unwrap();
    let code = latest_code(&http, &cognito, email).await.unwrap();
    type_into(&w, "otp", &code).await;
    press(&w, "otp-submit").await;
    idp_step(&w, "register").await;
    press(&w, "passkey-register").await;
    let session: Value = serde_json::from_str(&app_shows(&w, &app.url, "signed in").await).unwrap();
    let id = &session["idToken"];
    assert_eq!(id["iss"], format!("{cognito}/{POOL}"));
    assert_eq!(id["aud"], client_id);
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["email"], email);
    assert_eq!(id["identities"][0]["providerName"], "Mosaic");
    let username = session["username"].as_str().unwrap();
    assert!(username.starts_with("Mosaic_"), "{session}");
    assert_eq!(id["cognito:username"], username);
    let access = &session["accessToken"];
    assert_eq!(access["client_id"], client_id);
    assert_eq!(access["token_use"], "access");
    assert!(
        access["scope"].as_str().unwrap().contains("openid"),
        "{access}"
    );
    let first_sub = id["sub"].clone();
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("amplify-app-signed-in.png");
    std::fs::write(&shot, w.screenshot().await.unwrap()).unwrap();

    // Sign out: Amplify revokes the refresh token, then goes through the hosted UI's /logout.
    press(&w, "sign-out").await;
    app_shows(&w, &app.url, "signed out").await;
    let journal: Value = http
        .get(format!("{cognito}/_emulator/journal?service=cognito"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = journal["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert!(names.contains(&"RevokeToken"), "{names:?}");
    assert!(
        names.iter().any(|n| n.starts_with("hosted.logout")),
        "{names:?}"
    );

    // A day later (the IdP's session is over): the passkey alone.
    clock.advance_secs(25 * 3600);
    press(&w, "sign-in").await;
    idp_step(&w, "identifier").await;
    type_into(&w, "identifier", email).await;
    press(&w, "identifier-submit").await;
    idp_step(&w, "passkey").await;
    press(&w, "passkey-login").await;
    let again: Value = serde_json::from_str(&app_shows(&w, &app.url, "signed in").await).unwrap();
    assert_eq!(again["idToken"]["sub"], first_sub);
    assert_eq!(again["idToken"]["email"], email);
    println!(
        "the Amplify app signed up, out and in again in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    w.close().await;
    app.stop().await;
    emu.stop().await;
}
