//! chromedriver and the Chromium windows it drives: the driver runs in its own process group
//! (killed with everything it started when [`Chromedriver`] is dropped, also on a failed or
//! interrupted run); each [`Window`] is a WebDriver session with its own profile directory and
//! one virtual authenticator (WebDriver's WebAuthn extension commands, which fantoccini does
//! not wrap: [`WebAuthnCommand`]).

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Value, json};

use crate::authenticator::{Attachment, AttestationFormat, AuthenticatorConfig, UserPresence};

/// Where Debian's `chromium-driver` and `chromium` put their binaries (overridable with
/// `CHROMEDRIVER` and `CHROMIUM`).
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

fn binary(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// A running chromedriver on a loopback port, and the directory of its windows' profiles
/// (removed after the processes are killed, so no Chromium writes into it while it goes).
#[derive(Debug)]
pub struct Chromedriver {
    child: Child,
    url: String,
    profiles: tempfile::TempDir,
    windows: AtomicUsize,
}

impl Chromedriver {
    pub async fn start() -> anyhow::Result<Self> {
        let exe = binary("CHROMEDRIVER", CHROMEDRIVER);
        if !exe.exists() {
            bail!(
                "{} is missing: install Chromium and its driver (Debian: `apt-get install \
                 chromium chromium-driver`) or set CHROMEDRIVER",
                exe.display()
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let profiles = tempfile::Builder::new()
            .prefix("harness-chromium-")
            .tempdir()?;
        // Chromium's own temporary files (shared memory, scoped dirs) go there too: a killed
        // Chromium does not remove them.
        let tmp = profiles.path().join("tmp");
        std::fs::create_dir(&tmp)?;
        let child = Command::new(&exe)
            .env("TMPDIR", &tmp)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profiles,
            windows: AtomicUsize::new(0),
        };
        driver.wait_ready().await?;
        Ok(driver)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{}/status", self.url)).send().await {
                let v: Value = r.json().await.unwrap_or(Value::Null);
                if v["value"]["ready"] == true {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("chromedriver did not answer on {} within 20 s", self.url);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A new Chromium window (its own session and profile: no cookies) holding one virtual
    /// authenticator configured like `config`.
    pub async fn window(&self, config: &AuthenticatorConfig) -> anyhow::Result<Window> {
        let n = self.windows.fetch_add(1, Ordering::Relaxed);
        let profile = self.profiles.path().join(format!("window-{n}"));
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--window-size=1024,900".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut options = json!({"args": args});
        let chromium = binary("CHROMIUM", CHROMIUM);
        if chromium.exists() {
            options["binary"] = json!(chromium);
        }
        let caps = serde_json::Map::from_iter([
            ("browserName".to_owned(), json!("chrome")),
            ("goog:chromeOptions".to_owned(), options),
        ]);
        let client = fantoccini::ClientBuilder::new(
            hyper_util::client::legacy::connect::HttpConnector::new(),
        )
        .capabilities(caps)
        .connect(&self.url)
        .await
        .context("opening a Chromium session through chromedriver")?;
        let mut window = Window {
            client,
            authenticator: String::new(),
        };
        let id = window
            .webauthn(Method::Post, "authenticator", Some(options_for(config)))
            .await?;
        window.authenticator = id
            .as_str()
            .ok_or_else(|| anyhow!("chromedriver gave no authenticator id: {id}"))?
            .to_owned();
        Ok(window)
    }
}

impl Drop for Chromedriver {
    /// Kills chromedriver's process group: the driver and every Chromium process it started.
    fn drop(&mut self) {
        let pid = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Chromium's virtual authenticator options for one of our device configurations.
pub fn options_for(config: &AuthenticatorConfig) -> Value {
    let u2f = config.attestation == AttestationFormat::FidoU2f;
    json!({
        "protocol": if u2f { "ctap1/u2f" } else { "ctap2" },
        "transport": if config.attachment == Attachment::Platform { "internal" } else { "usb" },
        "hasResidentKey": config.resident_keys,
        "hasUserVerification": config.uv_capable,
        "isUserVerified": config.uv_capable && config.uv_succeeds,
        "isUserConsenting": config.user_presence != UserPresence::Refuse,
        "defaultBackupEligibility": config.backup_eligible,
        "defaultBackupState": config.backup_state,
    })
}

#[derive(Debug, Clone, Copy)]
pub enum Method {
    Get,
    Post,
    Delete,
}

/// One WebAuthn extension command (`/session/{id}/webauthn/...`).
#[derive(Debug)]
pub struct WebAuthnCommand {
    method: Method,
    path: String,
    body: Option<Value>,
}

impl WebDriverCompatibleCommand for WebAuthnCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/webauthn/{}", self.path))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let method = match self.method {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Delete => http::Method::DELETE,
        };
        (method, self.body.as_ref().map(Value::to_string))
    }
}

/// A Chromium window: a WebDriver session with its own profile and one virtual authenticator.
#[derive(Debug)]
pub struct Window {
    pub client: fantoccini::Client,
    authenticator: String,
}

impl Window {
    async fn webauthn(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let cmd = WebAuthnCommand {
            method,
            path: path.to_owned(),
            body,
        };
        self.client
            .issue_cmd(cmd)
            .await
            .with_context(|| format!("WebDriver webauthn/{path}"))
    }

    /// Puts a credential (WebDriver's "Add Credential" JSON, PKCS#8 key) in the authenticator.
    pub async fn add_credential(&self, credential: Value) -> anyhow::Result<()> {
        let path = format!("authenticator/{}/credential", self.authenticator);
        self.webauthn(Method::Post, &path, Some(credential)).await?;
        Ok(())
    }

    /// The authenticator's credentials, private keys included.
    pub async fn credentials(&self) -> anyhow::Result<Vec<Value>> {
        let path = format!("authenticator/{}/credentials", self.authenticator);
        let v = self.webauthn(Method::Get, &path, None).await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    /// Ends the session (chromedriver closes Chromium).
    pub async fn close(self) {
        let path = format!("authenticator/{}", self.authenticator);
        let _ = self.webauthn(Method::Delete, &path, None).await;
        let _ = self.client.close().await;
    }

    /// A PNG of what the window shows.
    pub async fn screenshot(&self) -> anyhow::Result<Vec<u8>> {
        Ok(self.client.screenshot().await?)
    }
}
