//! chromedriver and the Chromium windows it drives: the driver runs in its own process group
//! under a shell watchdog (the group is killed when [`Chromedriver`] is dropped, and by the
//! watchdog when the harness dies without dropping it); each [`Window`] is a WebDriver session
//! with its own profile directory and one virtual authenticator (WebDriver's WebAuthn
//! extension commands, which fantoccini does not wrap: [`SessionCommand`]). A window can be
//! recycled: wiped (cookies, cache, the given origins' storage, its authenticator) and kept
//! for the next `window`, which saves starting a Chromium.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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
    /// Recycled sessions, wiped, waiting for their next window.
    idle: Idle,
    /// HTTPS: the key of the CA whose certificates Chromium accepts (its SPKI hash).
    trusted_spki: Option<String>,
}

type Idle = Arc<Mutex<Vec<fantoccini::Client>>>;

/// Runs chromedriver (`$0 "$@"`) in the shell's process group and kills the whole group when
/// chromedriver exits or when the harness goes, however it goes: the harness holds the write
/// end of the shell's stdin, so its death (even SIGKILL, or a test runner cancelling a test)
/// is an end of file here.
const WATCHDOG: &str =
    r#"exec 3<&0; "$0" "$@" 3<&- & d=$!; { read -r _ <&3; kill -9 0; } & wait "$d"; kill -9 0"#;

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
        sweep_stale_roots();
        let profiles = tempfile::Builder::new().prefix(ROOT_PREFIX).tempdir()?;
        // Chromium's own temporary files (shared memory, scoped dirs) go there too: a killed
        // Chromium does not remove them.
        std::fs::create_dir(profiles.path().join("tmp"))?;
        // The free port is found before chromedriver binds it: another process may take it
        // in between, so a driver that exits at once is tried again on another port.
        let mut last = anyhow!("chromedriver did not start");
        for _ in 0..3 {
            let (mut child, url) = spawn(&exe, profiles.path())?;
            match wait_ready(&mut child, &url, profiles.path()).await {
                Ok(()) => {
                    // Whose root this is, for the sweep of a later run.
                    let pid = child.id().to_string();
                    std::fs::write(profiles.path().join("watchdog.pid"), pid)?;
                    return Ok(Self {
                        child,
                        url,
                        profiles,
                        windows: AtomicUsize::new(0),
                        idle: Idle::default(),
                        trusted_spki: None,
                    });
                }
                Err(e) => {
                    kill_group(&mut child);
                    last = e;
                }
            }
        }
        Err(last)
    }

    /// Chromium accepts certificates chaining to the CA whose SubjectPublicKeyInfo hashes to
    /// `spki` (base64 SHA-256), as if the CA were installed; only with a profile directory of
    /// our own, which every window has.
    pub fn trusting(mut self, spki: Option<String>) -> Self {
        self.trusted_spki = spki;
        self
    }

    /// A Chromium window without cookies, cache or storage (a recycled session, or a new one
    /// with its own profile) holding one virtual authenticator configured like `config`.
    pub async fn window(&self, config: &AuthenticatorConfig) -> anyhow::Result<Window> {
        let recycled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let client = match recycled {
            Some(c) => c,
            None => self.session().await?,
        };
        let mut window = Window {
            client,
            authenticator: String::new(),
            idle: self.idle.clone(),
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

    /// A new WebDriver session: a Chromium with its own profile.
    async fn session(&self) -> anyhow::Result<fantoccini::Client> {
        let n = self.windows.fetch_add(1, Ordering::Relaxed);
        let profile = self.profiles.path().join(format!("window-{n}"));
        let mut args = vec![
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
        if let Some(spki) = &self.trusted_spki {
            args.push(format!("--ignore-certificate-errors-spki-list={spki}"));
        }
        let mut options = json!({"args": args});
        let chromium = binary("CHROMIUM", CHROMIUM);
        if chromium.exists() {
            options["binary"] = json!(chromium);
        }
        // Bounds on what WebDriver waits for by itself (the defaults are minutes).
        let timeouts = json!({"pageLoad": 30_000, "script": 30_000});
        let caps = serde_json::Map::from_iter([
            ("browserName".to_owned(), json!("chrome")),
            ("goog:chromeOptions".to_owned(), options),
            ("timeouts".to_owned(), timeouts),
        ]);
        fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .context("opening a Chromium session through chromedriver")
    }
}

const ROOT_PREFIX: &str = "harness-chromium-";

/// Whether the process is alive (the watchdog of a killed group is gone or a zombie).
fn running(pid: &str) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit_once(") ")
        .and_then(|(_, rest)| rest.chars().next());
    matches!(state, Some(s) if s != 'Z' && s != 'X')
}

/// Removes the profile roots of runs that were killed outright (SIGKILL, a test runner
/// cancelling a test): their watchdog killed Chromium, but nothing removed the directory.
fn sweep_stale_roots() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        if !e.file_name().to_string_lossy().starts_with(ROOT_PREFIX) {
            continue;
        }
        let path = e.path();
        let pid = std::fs::read_to_string(path.join("watchdog.pid")).unwrap_or_default();
        if !pid.trim().is_empty() && !running(pid.trim()) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

fn spawn(exe: &Path, root: &Path) -> anyhow::Result<(Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let log = root.join("chromedriver.log");
    let child = Command::new("sh")
        .args(["-c", WATCHDOG])
        .arg(exe)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .arg(format!("--log-path={}", log.display()))
        .env("TMPDIR", root.join("tmp"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting {} under sh", exe.display()))?;
    Ok((child, format!("http://127.0.0.1:{port}")))
}

async fn wait_ready(child: &mut Child, url: &str, root: &Path) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = http.get(format!("{url}/status")).send().await {
            let v: Value = r.json().await.unwrap_or(Value::Null);
            if v["value"]["ready"] == true {
                return Ok(());
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            bail!(
                "chromedriver exited ({status}) before answering: {}",
                log_tail(root)
            );
        }
        if Instant::now() > deadline {
            bail!(
                "chromedriver did not answer on {url} within 20 s: {}",
                log_tail(root)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The end of chromedriver's log, for an error message.
fn log_tail(root: &Path) -> String {
    let log = std::fs::read_to_string(root.join("chromedriver.log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().rev().take(5).collect();
    if lines.is_empty() {
        return "its log is empty".into();
    }
    lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}

/// Kills the watchdog's process group: chromedriver and every Chromium process it started.
fn kill_group(child: &mut Child) {
    let pid = rustix::process::Pid::from_child(child);
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for Chromedriver {
    /// Kills the process group, then (as fields drop) removes the profiles.
    fn drop(&mut self) {
        kill_group(&mut self.child);
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

/// One extension command under the session (`/session/{id}/webauthn/...`,
/// `/session/{id}/goog/cdp/execute`).
#[derive(Debug)]
pub struct SessionCommand {
    method: Method,
    path: String,
    body: Option<Value>,
}

impl WebDriverCompatibleCommand for SessionCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/{}", self.path))
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
    idle: Idle,
}

impl Window {
    async fn webauthn(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let cmd = SessionCommand {
            method,
            path: format!("webauthn/{path}"),
            body,
        };
        self.client
            .issue_cmd(cmd)
            .await
            .with_context(|| format!("WebDriver webauthn/{path}"))
    }

    /// A Chrome DevTools Protocol command through chromedriver.
    async fn cdp(&self, name: &str, params: Value) -> anyhow::Result<Value> {
        let cmd = SessionCommand {
            method: Method::Post,
            path: "goog/cdp/execute".into(),
            body: Some(json!({"cmd": name, "params": params})),
        };
        self.client
            .issue_cmd(cmd)
            .await
            .with_context(|| format!("CDP {name}"))
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
        match self.webauthn(Method::Get, &path, None).await? {
            Value::Array(creds) => Ok(creds),
            other => bail!("chromedriver's credentials are not a list: {other}"),
        }
    }

    /// Wipes the window (its authenticator, the page, every cookie, the HTTP cache and the
    /// storage of `origins`, the only ones it visited) and keeps its session for the next
    /// window; a session that cannot be wiped is closed.
    pub async fn recycle(self, origins: &[String]) {
        match self.wipe(origins).await {
            Ok(()) => {
                if let Ok(mut idle) = self.idle.lock() {
                    idle.push(self.client);
                }
            }
            Err(_) => self.close().await,
        }
    }

    async fn wipe(&self, origins: &[String]) -> anyhow::Result<()> {
        let path = format!("authenticator/{}", self.authenticator);
        self.webauthn(Method::Delete, &path, None).await?;
        self.client.goto("about:blank").await?;
        self.cdp("Network.clearBrowserCookies", json!({})).await?;
        self.cdp("Network.clearBrowserCache", json!({})).await?;
        for origin in origins {
            let params = json!({"origin": origin, "storageTypes": "all"});
            self.cdp("Storage.clearDataForOrigin", params).await?;
        }
        Ok(())
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
