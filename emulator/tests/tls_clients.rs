//! The clients backends and web apps verify and sign in with, unmodified, against the emulator
//! in HTTPS mode, trusting its CA through `NODE_EXTRA_CA_CERTS` only (never by turning checks
//! off): aws-jwt-verify's `JwtRsaVerifier` and `CognitoJwtVerifier` and jose on two pools' tokens
//! (`fixtures/clients/test-tls/verifiers.test.mjs`), and openid-client v6 completing a code flow
//! with PKCE against the IdP's self-issued tenant, the user's part done here with a virtual
//! authenticator (`fixtures/clients/test-tls/openid-client.mjs`). Needs Node.js with
//! `npm ci --prefix fixtures/clients` (`just setup`).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use emulator::Config;
use harness::authenticator::{AuthenticatorConfig, VirtualAuthenticator};
use harness::driver::{Trust, client_builder, latest_code};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// Bounds a whole Node.js run; a run that hangs fails instead of holding the suite.
const NODE_DEADLINE: Duration = Duration::from_secs(120);

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/clients")
}

fn require_node_modules() {
    let dir = clients_dir().join("node_modules");
    for package in ["aws-jwt-verify", "jose", "openid-client"] {
        assert!(
            dir.join(package).exists(),
            "{} is missing: run `just setup` (npm ci --prefix fixtures/clients)",
            dir.join(package).display()
        );
    }
}

/// The CA of a running emulator, in a file for `NODE_EXTRA_CA_CERTS`.
fn ca_file(running: &emulator::Running, dir: &Path) -> PathBuf {
    let ca = running
        .tls
        .as_ref()
        .expect("the emulator runs in HTTPS mode");
    let path = dir.join("ca.pem");
    std::fs::write(&path, ca.cert_pem()).unwrap();
    path
}

/// `node` in `fixtures/clients` trusting `ca` and nothing turned off.
fn node(ca: &Path, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new("node");
    cmd.args(args)
        .current_dir(clients_dir())
        .env("NODE_EXTRA_CA_CERTS", ca)
        .env_remove("NODE_TLS_REJECT_UNAUTHORIZED")
        .kill_on_drop(true);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_jwt_verify_and_jose_accept_the_tokens_over_https() {
    require_node_modules();
    let config = Config::load(&clients_dir().join("test-tls/emulator.toml")).unwrap();
    let emu = common::start_with(config).await;
    assert!(emu.url().starts_with("https://localhost:"), "{}", emu.url());
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_file(&emu.running, dir.path());

    // Without the CA, Node refuses the emulator: the suite's trust is the CA's, not a fallback.
    let untrusted = tokio::process::Command::new("node")
        .args(["-e", "fetch(process.argv[1]).then(() => process.exit(0), (e) => { console.log(e.cause?.code); process.exit(1); })"])
        .arg(format!("{}/_emulator/health", emu.url()))
        .env_remove("NODE_EXTRA_CA_CERTS")
        .env_remove("NODE_TLS_REJECT_UNAUTHORIZED")
        .kill_on_drop(true)
        .output();
    let untrusted = tokio::time::timeout(NODE_DEADLINE, untrusted)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&untrusted.stdout).trim(),
        "SELF_SIGNED_CERT_IN_CHAIN"
    );

    let run = node(
        &ca,
        &[
            "--test",
            "--test-reporter=spec",
            "test-tls/verifiers.test.mjs",
        ],
    )
    .env("COGNITO_ENDPOINT", emu.url())
    .env("OWN_POOL", "us-east-1_TlsOwn001")
    .env("OWN_CLIENT", "4own0issuer0backend0client")
    .env("AWS_POOL", "us-east-1_TlsAws001")
    .env("AWS_CLIENT", "4aws0issuer0backend0client")
    .output();
    let out = tokio::time::timeout(NODE_DEADLINE, run)
        .await
        .expect("the verifier suite finishes")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the verifier suite failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("ℹ pass 8") && stdout.contains("ℹ fail 0"),
        "{stdout}"
    );
}

/// The README's PyJWT recipe (`fixtures/clients/test-tls/pyjwt_check.py`): boto3 signs in with
/// the CA in `AWS_CA_BUNDLE`, PyJWT verifies the ID token with the JWKS fetched over https
/// trusting the CA alone, and refuses a wrong audience, another issuer, and the JWKS without the
/// CA. Needs PyJWT and boto3 (`just setup`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyjwt_verifies_the_tokens_over_https() {
    let config = Config::load(&clients_dir().join("test-tls/emulator.toml")).unwrap();
    let emu = common::start_with(config).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_file(&emu.running, dir.path());
    let run = tokio::process::Command::new("python3")
        .arg(clients_dir().join("test-tls/pyjwt_check.py"))
        .env("COGNITO_ENDPOINT", emu.url())
        .env("AWS_CA_BUNDLE", &ca)
        .env("OWN_POOL", "us-east-1_TlsOwn001")
        .env("OWN_CLIENT", "4own0issuer0backend0client")
        .env_remove("REQUESTS_CA_BUNDLE")
        .env_remove("SSL_CERT_FILE")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(NODE_DEADLINE, run)
        .await
        .expect("the PyJWT check finishes")
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the PyJWT check failed (run `just setup` for PyJWT and boto3):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(seen["email"], "pyjwt@example.com");
    assert_eq!(seen["iss"], format!("{}/us-east-1_TlsOwn001", emu.url()));
    assert_eq!(seen["token_use"], "id");
    assert_eq!(seen["refusals"]["audience"], "InvalidAudienceError");
    assert_eq!(seen["refusals"]["issuer"], "InvalidIssuerError");
    assert_eq!(seen["untrusted"], "CERTIFICATE_VERIFY_FAILED");
}

/// The default config in HTTPS mode, its IdP on `https://localhost:<port>` (Node.js does not
/// resolve `idp.localhost` here), so the relying party is `localhost`.
async fn start_idp_over_https() -> emulator::Running {
    let mut config = Config::default_config().with_ephemeral_ports();
    config.tls.enabled = true;
    let idp = config.idp.as_mut().unwrap();
    idp.public_url = Some("https://localhost:0".into());
    idp.rp_id = None;
    emulator::start(config).await.expect("emulator starts")
}

/// What a new user does in the IdP's hosted login opened at `authorize`: identifier, the
/// emailed code, a passkey made on `device`. Returns where the IdP sends the browser back.
async fn sign_up(
    http: &reqwest::Client,
    idp_url: &str,
    authorize: &str,
    email: &str,
    device: &mut VirtualAuthenticator,
) -> String {
    let resp = http.get(authorize).send().await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        resp.text().await
    );
    let login = resp.headers()["location"].to_str().unwrap().to_owned();
    let ix = login
        .strip_prefix("/cis/login/")
        .unwrap_or_else(|| panic!("not the login page: {login}"));
    let step = |path: &str, body: Value| {
        let url = format!("{idp_url}/cis/api/interactions/{ix}/{path}");
        let req = http.post(url).json(&body);
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status();
            let v: Value = resp.json().await.unwrap();
            assert_eq!(status, StatusCode::OK, "{v}");
            v
        }
    };
    let v = step("identifier", json!({"identifier": email})).await;
    assert_eq!(v["step"], "otp", "{v}");
    let code = latest_code(http, idp_url, email).await.unwrap();
    let v = step("otp/verify", json!({"code": code})).await;
    assert_eq!(v["step"], "register", "{v}");
    let options = step("webauthn/options", json!({})).await;
    assert_eq!(options["ceremony"], "create", "{options}");
    let credential = device
        .create(&options["publicKey"].to_string(), idp_url)
        .unwrap();
    let v = step("webauthn/register", credential).await;
    v["redirect"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_completes_a_pkce_code_flow_with_the_self_issued_tenant() {
    require_node_modules();
    let emu = start_idp_over_https().await;
    let idp_url = emu.idp_url.clone().unwrap();
    assert!(idp_url.starts_with("https://localhost:"), "{idp_url}");
    let issuer = format!("{idp_url}/tenants/direct");
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_file(&emu, dir.path());
    let email = "direct.user@example.com";

    let mut child = node(&ca, &["test-tls/openid-client.mjs"])
        .env("IDP_ISSUER", &issuer)
        .env("EXPECT_EMAIL", email)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node runs");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = child.stderr.take().unwrap();
    let stderr = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    let flow = async {
        // The app's redirect to the IdP.
        let authorize = loop {
            match stdout.next_line().await.unwrap() {
                Some(line) => match line.strip_prefix("AUTHORIZE ") {
                    Some(url) => break url.to_owned(),
                    None => println!("node: {line}"),
                },
                None => return Err("node ended before printing the authorization URL"),
            }
        };
        let query: std::collections::BTreeMap<String, String> = url::Url::parse(&authorize)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        assert!(
            authorize.starts_with(&format!("{idp_url}/cis/oidc/auth?")),
            "{authorize}"
        );
        assert_eq!(query["client_id"], "direct-demo-client");
        assert_eq!(query["code_challenge_method"], "S256");
        assert_eq!(query["redirect_uri"], "https://localhost:3000/callback");

        // The user's browser, trusting the emulator's CA.
        let trust = Trust::from_pem(emu.tls.as_ref().unwrap().cert_pem()).unwrap();
        let http = client_builder(Some(&trust))
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap();
        let mut device =
            VirtualAuthenticator::with_seed(AuthenticatorConfig::platform_passkey(), 13).unwrap();
        let callback = sign_up(&http, &idp_url, &authorize, email, &mut device).await;
        let back = url::Url::parse(&callback).unwrap();
        assert_eq!(
            (back.origin().ascii_serialization(), back.path()),
            ("https://localhost:3000".to_owned(), "/callback"),
            "{callback}"
        );
        assert!(
            back.query_pairs()
                .any(|(k, v)| k == "state" && v == query["state"]),
            "{callback}"
        );

        // The browser lands on the app's callback: the app gets that URL.
        stdin
            .write_all(format!("{callback}\n").as_bytes())
            .await
            .unwrap();
        drop(stdin);
        while let Some(line) = stdout.next_line().await.unwrap() {
            if let Some(json) = line.strip_prefix("RESULT ") {
                return Ok(serde_json::from_str::<Value>(json).unwrap());
            }
            println!("node: {line}");
        }
        Err("node ended without a result")
    };
    let result = tokio::time::timeout(NODE_DEADLINE, flow)
        .await
        .expect("the flow finishes");
    let status = tokio::time::timeout(NODE_DEADLINE, child.wait())
        .await
        .expect("node exits")
        .unwrap();
    let stderr = stderr.await.unwrap();
    let result = result.unwrap_or_else(|e| panic!("{e} ({status}):\n{stderr}"));
    assert!(status.success(), "node failed ({status}):\n{stderr}");

    assert_eq!(result["issuer"], issuer.as_str());
    assert_eq!(
        result["token_type"].as_str().map(str::to_lowercase),
        Some("bearer".into())
    );
    let claims = &result["claims"];
    assert_eq!(claims["iss"], issuer.as_str(), "{result}");
    assert_eq!(claims["aud"], "direct-demo-client", "{result}");
    assert_eq!(claims["email"], email, "{result}");
    let sub = claims["sub"].as_str().expect("a subject");
    assert_eq!(result["userinfo"]["sub"], sub, "{result}");
    assert_eq!(result["userinfo"]["email"], email, "{result}");
    emu.stop().await;
}
