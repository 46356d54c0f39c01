//! The hosted pages in headless Chromium with its virtual authenticator, driven over W3C
//! WebDriver: sign-up (identifier, a wrong OTP shown as an error, the OTP from the outbox,
//! passkey creation) and login (passkey assertion), each ending in a redirect with a code
//! that the token endpoint exchanges. Needs `chromium` and `chromium-driver`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod idp_support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use idp_support::{CLIENT, Idp, code_of, start};
use serde_json::{Value, json};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver in its own process group; the group (driver and browser) is killed on drop.
struct Driver {
    child: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Driver {
    async fn start() -> Driver {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists(),
            "{CHROMEDRIVER} is missing: install it with `apt-get install chromium chromium-driver`"
        );
        use std::os::unix::process::CommandExt;
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let profile = tempfile::tempdir().unwrap();
        let mut driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            http: reqwest::Client::new(),
            _profile: profile,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .await;
            if let Ok(r) = ready {
                let v: Value = r.json().await.unwrap_or(Value::Null);
                if v["value"]["ready"] == true {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(format!(
            "--user-data-dir={}",
            driver._profile.path().display()
        ));
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}});
        let v = driver.call("POST", "/session", caps).await;
        driver.session = v["sessionId"].as_str().expect("a session").to_owned();
        driver
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let path = if path == "/session" {
            path.to_owned()
        } else {
            format!("/session/{}{path}", self.session)
        };
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        assert!(v["value"]["error"].is_null(), "{method} {path}: {v}");
        v["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url})).await;
    }

    async fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    async fn element(&self, css: &str) -> String {
        let v = self
            .call(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("element {css}: {v}"))
            .to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self.element(css).await;
        self.call("POST", &format!("/element/{e}/clear"), json!({}))
            .await;
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            json!({"text": text}),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let e = self.element(css).await;
        self.call("POST", &format!("/element/{e}/click"), json!({}))
            .await;
    }

    /// Waits until `script` returns something truthy; returns it.
    async fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let v = self.script(script).await;
            if !v.is_null() && v != false && v != "" {
                return v;
            }
            if Instant::now() > deadline {
                let text = self
                    .script("return document.body ? document.body.innerText : ''")
                    .await;
                panic!("timed out waiting for {what}; page: {text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_step(&self, step: &str) {
        let script = format!("return document.querySelector('#s-{step}.on') !== null");
        self.wait_for(&format!("step {step}"), &script).await;
    }

    async fn wait_redirect(&self, prefix: &str) -> String {
        let script = format!("return location.href.startsWith('{prefix}') ? location.href : null");
        self.wait_for("the redirect to the client", &script)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// Chromium's virtual platform authenticator (WebDriver "Add Virtual Authenticator").
fn platform() -> Value {
    json!({"protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
        "hasUserVerification": true, "isUserVerified": true})
}

async fn id_token_claims(idp: &Idp, location: &str) -> Value {
    let (status, tokens) = idp.exchange(&code_of(location).0).await;
    assert!(status.is_success(), "{tokens}");
    idp.verify_id_token(tokens["id_token"].as_str().unwrap())
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_and_login_in_headless_chromium() {
    let idp = start().await;
    let driver = Driver::start().await;
    driver
        .call("POST", "/webauthn/authenticator", platform())
        .await;
    let params = |extra: &[(&str, &str)]| {
        let mut url = url::Url::parse(&format!("{}/cis/oidc/auth", idp.url)).unwrap();
        url.query_pairs_mut().extend_pairs(idp.auth_params(extra));
        url.to_string()
    };

    // Sign-up: identifier, a wrong code (shown on the page), the right code, a passkey.
    driver.goto(&params(&[])).await;
    driver.wait_step("identifier").await;
    driver
        .type_into("#identifier", "chromium@example.com")
        .await;
    driver.click("#identifier-submit").await;
    driver.wait_step("otp").await;
    let code = idp.otp("chromium@example.com").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    driver.type_into("#otp", wrong).await;
    driver.click("#otp-submit").await;
    let error = driver
        .wait_for(
            "the error message",
            "return document.getElementById('error').textContent",
        )
        .await;
    assert!(
        error
            .as_str()
            .unwrap()
            .contains("wrong code; 4 attempts left"),
        "{error}"
    );
    driver.type_into("#otp", &code).await;
    driver.click("#otp-submit").await;
    driver.wait_step("register").await;
    assert_eq!(
        driver
            .script("return document.getElementById('error').textContent")
            .await,
        ""
    );
    driver.click("#passkey-register").await;
    let location = driver.wait_redirect(&idp.redirect_uri()).await;
    assert_eq!(code_of(&location).1.as_deref(), Some("st-1"));
    let claims = id_token_claims(&idp, &location).await;
    assert_eq!(claims["amr"], json!(["eotp", "webauthn"]));
    assert_eq!(claims["aud"], CLIENT);
    let (_, users) = idp
        .get_json("/_emulator/idp/users?identifier=chromium@example.com")
        .await;
    let record = &users["users"][0]["credentials"][0]["record"];
    assert_eq!(record["attestationFormat"], "none");

    // Login: a new authorization with prompt=login, the passkey alone.
    driver
        .goto(&params(&[("prompt", "login"), ("state", "st-2")]))
        .await;
    driver.wait_step("identifier").await;
    driver
        .type_into("#identifier", "chromium@example.com")
        .await;
    driver.click("#identifier-submit").await;
    driver.wait_step("passkey").await;
    driver.click("#passkey-login").await;
    let location = driver.wait_redirect(&idp.redirect_uri()).await;
    assert_eq!(code_of(&location).1.as_deref(), Some("st-2"));
    let login = id_token_claims(&idp, &location).await;
    assert_eq!(
        (&login["sub"], &login["amr"]),
        (&claims["sub"], &json!(["webauthn"]))
    );
    let (_, users) = idp
        .get_json("/_emulator/idp/users?identifier=chromium@example.com")
        .await;
    assert!(
        users["users"][0]["credentials"][0]["record"]["signCount"]
            .as_u64()
            .unwrap()
            >= 1
    );
    driver.call("DELETE", "", Value::Null).await;
}

/// A desktop Chromium without any authenticator: the page chooses "use another device" by
/// itself, shows the QR code, and follows the redirect once the phone (a second Chromium
/// session with a virtual platform authenticator, on the phone page) has registered the passkey.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_platform_authenticator_the_page_offers_the_qr_code() {
    let idp = start().await;
    let driver = Driver::start().await;
    let mut url = url::Url::parse(&format!("{}/cis/oidc/auth", idp.url)).unwrap();
    url.query_pairs_mut().extend_pairs(idp.auth_params(&[]));
    driver.goto(url.as_str()).await;
    driver.wait_step("identifier").await;
    driver.type_into("#identifier", "desk@example.com").await;
    driver.click("#identifier-submit").await;
    driver.wait_step("otp").await;
    let code = idp.otp("desk@example.com").await;
    driver.type_into("#otp", &code).await;
    driver.click("#otp-submit").await;
    driver.wait_step("register").await;
    let phone_url = driver
        .wait_for(
            "the QR code",
            "const i = document.getElementById('qr-img'); \
             return !document.getElementById('qr').hidden && i.complete && i.naturalWidth > 0 \
             ? document.getElementById('qr-url').href : null",
        )
        .await;
    let phone_url = phone_url.as_str().unwrap().to_owned();
    assert!(
        phone_url.starts_with(&format!("{}/cis/m/", idp.url)),
        "{phone_url}"
    );

    // The phone: a second Chromium session with a platform authenticator opens the URL.
    let phone = Driver::start().await;
    phone
        .call("POST", "/webauthn/authenticator", platform())
        .await;
    phone.goto(&phone_url).await;
    phone
        .wait_for(
            "the phone page to attach",
            "return !document.getElementById('phone-continue').hidden",
        )
        .await;
    driver
        .wait_for(
            "the scanned status",
            "return document.getElementById('qr-status').textContent.includes('scanned')",
        )
        .await;
    phone.click("#phone-continue").await;
    let done = phone
        .wait_for(
            "the phone's confirmation",
            "return document.getElementById('status').textContent.startsWith('Done') \
             || document.getElementById('error').textContent",
        )
        .await;
    assert_eq!(done, true, "phone page: {done}");
    phone.call("DELETE", "", Value::Null).await;
    let location = driver.wait_redirect(&idp.redirect_uri()).await;
    let claims = id_token_claims(&idp, &location).await;
    assert_eq!(claims["amr"], json!(["eotp", "webauthn"]));
    driver.call("DELETE", "", Value::Null).await;
}
