//! HTTPS mode as a client sees it: the listeners' leaf chains to the local CA and covers the
//! local names and no other, a client that does not trust the CA gets a certificate error and
//! plain http gets no HTTP answer (no silent fallback), the CA survives a restart and
//! `emulator ca` prints it; and a pool with production's issuer form, through the API and
//! discovery.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use emulator::tls::rustls::{self, CertificateError, pki_types::CertificateDer};
use emulator::{Config, Options, Running, Storage};
use harness::driver::{Trust, client_builder};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
use rustls::pki_types::ServerName;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Bounds reads of a connection the server may keep open; never a synchronisation.
const IO_DEADLINE: Duration = Duration::from_secs(15);

async fn start_tls(storage: Storage) -> Running {
    start_tls_with(storage, |_| {}).await
}

async fn start_tls_with(storage: Storage, edit: impl FnOnce(&mut Config)) -> Running {
    let mut config = Config::default_config().with_ephemeral_ports();
    config.tls.enabled = true;
    edit(&mut config);
    let options = Options {
        storage,
        ..Options::default()
    };
    emulator::start_with(config, options)
        .await
        .expect("emulator starts")
}

fn ca_pem(running: &Running) -> String {
    let ca = running.tls.as_ref().expect("HTTPS mode has a CA");
    ca.cert_pem().to_owned()
}

/// A TLS handshake with `addr` for `name`: the certificates the server presented, or the
/// client's TLS error.
async fn handshake(
    addr: SocketAddr,
    config: &rustls::ClientConfig,
    name: &str,
) -> Result<Vec<CertificateDer<'static>>, rustls::Error> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let server_name = ServerName::try_from(name.to_owned()).unwrap();
    let connector = TlsConnector::from(Arc::new(config.clone()));
    match connector.connect(server_name, tcp).await {
        Ok(stream) => {
            let certs = stream.get_ref().1.peer_certificates().unwrap();
            Ok(certs.iter().map(|c| c.clone().into_owned()).collect())
        }
        Err(e) => Err(e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .cloned()
            .unwrap_or_else(|| panic!("not a TLS error: {e}"))),
    }
}

fn trusting(pem: &str) -> rustls::ClientConfig {
    emulator::tls::client_config_from_pem(pem).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leaf_chains_to_the_ca_and_covers_the_local_names_only() {
    let emu = start_tls(Storage::Ephemeral).await;
    assert!(emu.cognito_url.starts_with("https://localhost:"));
    let idp_url = emu.idp_url.clone().unwrap();
    assert!(idp_url.starts_with("https://idp.localhost:"), "{idp_url}");
    let pem = ca_pem(&emu);
    let client = trusting(&pem);
    let ours = emu.tls.as_ref().unwrap().cert_der().unwrap();
    for addr in [emu.cognito_addr, emu.idp_addr.unwrap()] {
        for name in ["localhost", "idp.localhost", "127.0.0.1", "::1"] {
            let chain = handshake(addr, &client, name)
                .await
                .unwrap_or_else(|e| panic!("{name} on {addr}: {e}"));
            assert_eq!(chain.len(), 2, "the leaf, then the CA");
            assert_eq!(chain[1], ours, "the chain ends at the CA");
            assert_ne!(chain[0], ours);
        }
        // Other hosts, under localhost too, only when the config names them.
        for name in ["example.com", "x.localhost"] {
            let refused = handshake(addr, &client, name).await.unwrap_err();
            assert!(not_valid_for_name(&refused), "{name}: {refused:?}");
        }
    }

    // HTTP over it, with the harness's client trusting the CA alone.
    let http = client_builder(Some(&Trust::from_pem(&pem).unwrap()))
        .build()
        .unwrap();
    let health = http
        .get(format!("{}/_emulator/health", emu.cognito_url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    emu.stop().await;
}

fn not_valid_for_name(e: &rustls::Error) -> bool {
    matches!(
        e,
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        )
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configs_names_are_covered_a_wildcard_two_labels_deep() {
    let names = ["app.localhost", "*.app.localhost"]
        .map(String::from)
        .to_vec();
    let emu = start_tls_with(Storage::Ephemeral, |c| c.tls.names = names).await;
    let client = trusting(&ca_pem(&emu));
    for name in ["app.localhost", "a.app.localhost", "localhost"] {
        handshake(emu.cognito_addr, &client, name)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for name in ["b.localhost", "a.b.app.localhost"] {
        let refused = handshake(emu.cognito_addr, &client, name)
            .await
            .unwrap_err();
        assert!(not_valid_for_name(&refused), "{name}: {refused:?}");
    }
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_trust_the_ca_fails_and_plain_http_gets_no_answer() {
    let emu = start_tls(Storage::Ephemeral).await;
    // A client whose roots do not hold the emulator's CA.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let no_roots = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let refused = handshake(emu.cognito_addr, &no_roots, "localhost")
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
    );
    // One trusting another emulator's CA: every such CA has the same subject, so the client
    // finds that anchor by name and its key refuses the signature.
    let stranger = emulator::tls::Authority::generate(0).unwrap();
    let other_ca = emulator::tls::client_config(&stranger).unwrap();
    let refused = handshake(emu.cognito_addr, &other_ca, "localhost")
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer | CertificateError::BadSignature
            )
        ),
        "{refused:?}"
    );
    // reqwest with no root it trusts: a connection error, never a response.
    let err = client_builder(None)
        .build()
        .unwrap()
        .get(format!("{}/_emulator/health", emu.cognito_url))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");

    // Plain http to the TLS port: no HTTP response (a TLS alert at most, then the close).
    for addr in [emu.cognito_addr, emu.idp_addr.unwrap()] {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(IO_DEADLINE, tcp.read_to_end(&mut answer))
            .await
            .expect("the server closes the connection")
            .ok();
        assert!(
            !answer.starts_with(b"HTTP/"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
        assert!(answer.first().is_none_or(|b| *b == 0x15), "{answer:?}");
    }
    let err = reqwest::get(format!("http://{}/_emulator/health", emu.cognito_addr))
        .await
        .unwrap_err();
    assert!(!err.is_status(), "{err:?}");
    emu.stop().await;
}

/// `emulator --data-dir DIR ca`: (the path line, the PEM).
fn emulator_ca(dir: &std::path::Path) -> (String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_emulator"))
        .arg("--data-dir")
        .arg(dir)
        .arg("ca")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let (path, pem) = text.split_once('\n').unwrap();
    (path.to_owned(), pem.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ca_survives_a_restart_and_emulator_ca_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let (path, pem) = emulator_ca(dir.path());
    let file = dir.path().join("tls/ca.pem").canonicalize().unwrap();
    assert_eq!(path, file.display().to_string());
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert_eq!(
        pem.trim_end(),
        std::fs::read_to_string(&file).unwrap().trim_end()
    );
    assert_eq!(
        emulator_ca(dir.path()),
        (path.clone(), pem.clone()),
        "created once"
    );

    let storage = || Storage::Dir(dir.path().to_owned());
    let client = trusting(&pem);
    let mut leaves = Vec::new();
    for _ in 0..2 {
        let emu = start_tls(storage()).await;
        assert_eq!(
            ca_pem(&emu).trim_end(),
            pem.trim_end(),
            "the data directory's CA"
        );
        let chain = handshake(emu.cognito_addr, &client, "localhost")
            .await
            .unwrap();
        leaves.push(chain[0].clone());
        emu.stop().await;
    }
    assert_ne!(leaves[0], leaves[1], "a new leaf at each start");
    assert_eq!(emulator_ca(dir.path()).1, pem);
}

/// The banner `emulator` prints once it listens, up to its `State` line.
async fn banner(args: &[&str]) -> String {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_emulator"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let last = line.starts_with("State");
            banner.push(line);
            if last {
                break;
            }
        }
    };
    tokio::time::timeout(IO_DEADLINE, read).await.unwrap();
    child.kill().await.unwrap();
    banner.join("\n") + "\n"
}

/// The origin of the first URL on the banner's line starting with `label`.
fn origin_after(banner: &str, label: &str) -> String {
    let line = banner.lines().find(|l| l.starts_with(label)).unwrap();
    let url = line.split_whitespace().find(|w| w.starts_with("https://"));
    let url = url::Url::parse(url.unwrap_or_else(|| panic!("{banner}"))).unwrap();
    url.origin().ascii_serialization()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_banner_names_each_issuer_in_https_mode() {
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/clients/test-tls/emulator.toml"
    );
    let text = banner(&["--ephemeral", "--config", config]).await;
    let url = origin_after(&text, "Cognito user pool API");
    assert!(url.starts_with("https://localhost:"), "{text}");
    let own = format!("pool us-east-1_TlsOwn001: issuer {url}/us-east-1_TlsOwn001\n");
    assert!(text.contains(&own), "{text}");
    let aws = format!(
        "pool us-east-1_TlsAws001: issuer https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TlsAws001, JWKS {url}/us-east-1_TlsAws001/.well-known/jwks.json\n"
    );
    assert!(text.contains(&aws), "{text}");

    let loopback = "127.0.0.1:0";
    let args = [
        "--ephemeral",
        "--tls",
        "--bind",
        loopback,
        "--idp-bind",
        loopback,
    ];
    let text = banner(&args).await;
    let idp = origin_after(&text, "Passwordless IdP");
    assert!(idp.starts_with("https://idp.localhost:"), "{text}");
    let tenant = format!("tenant direct: issuer {idp}/tenants/direct\n");
    assert!(text.contains(&tenant), "{text}");
}

/// The payload of a JWT, unverified.
fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_with_the_aws_issuer_signs_production_shaped_tokens() {
    let mut config = Config::default_config();
    config.cognito.pools[0].issuer = Some(emulator::config::IssuerStyle::Aws);
    let emu = common::start_with(config).await;
    let issuer = format!(
        "https://cognito-idp.us-east-1.amazonaws.com/{}",
        common::POOL
    );
    common::confirmed_user(&emu.sdk, "prod@example.com", "Pr0duction-Shape!").await;
    let auth = emu
        .sdk
        .admin_initiate_auth()
        .user_pool_id(common::POOL)
        .client_id(common::CLIENT)
        .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "prod@example.com")
        .auth_parameters("PASSWORD", "Pr0duction-Shape!")
        .send()
        .await
        .unwrap();
    let tokens = auth.authentication_result().unwrap();
    let (id, access) = (tokens.id_token().unwrap(), tokens.access_token().unwrap());
    assert_eq!(claims(id)["iss"], issuer.as_str());
    assert_eq!(claims(access)["iss"], issuer.as_str());
    let user = emu
        .sdk
        .get_user()
        .access_token(access)
        .send()
        .await
        .unwrap();
    assert_eq!(Some(user.username()), claims(access)["username"].as_str());

    let discovery: Value = reqwest::get(format!(
        "{}/{}/.well-known/openid-configuration",
        emu.url(),
        common::POOL
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(discovery["issuer"], issuer.as_str());
    let jwks_uri = discovery["jwks_uri"].as_str().unwrap();
    assert_eq!(
        jwks_uri,
        format!("{}/{}/.well-known/jwks.json", emu.url(), common::POOL)
    );
    // The ID token verifies against that JWKS with the production issuer.
    let jwks: JwkSet = reqwest::get(jwks_uri).await.unwrap().json().await.unwrap();
    let kid = decode_header(id).unwrap().kid.unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[&issuer]);
    validation.set_audience(&[common::CLIENT]);
    let key = DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    decode::<Value>(id, &key, &validation).expect("the ID token verifies");
    emu.running.stop().await;
}
