//! The browser driver: real Chromium through chromedriver (fantoccini), its WebAuthn stack
//! and virtual authenticators. Each `open_login` is a new window (session and profile) on the
//! actor's device whose authenticator holds the device's credentials, injected as PKCS#8 from
//! the harness's own authenticator and read back after each ceremony, so a passkey outlives
//! the window as it outlives a browser session. In the QR flow a second window plays the
//! phone: it reads the code from a screenshot of the desktop and opens its URL.

mod app_steps;
mod camera;
pub mod chromedriver;
mod watch;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail, ensure};
use serde_json::Value;

pub use self::camera::read_qr;
use self::chromedriver::{Chromedriver, Window};
pub use self::watch::wait_value;
use self::watch::{page_change, wait_value_watching};
use super::app::App;
use super::{CALLBACK, PROVIDER, Target, latest_code};
use crate::authenticator::{Credential, VirtualAuthenticator};
use crate::scenario::{NextStep, Scenario, Step};
/// How tests outside the crate find elements in a window.
pub use fantoccini::Locator;

/// How long a page may take to show the result of an action.
const PAGE_TIMEOUT: Duration = Duration::from_secs(20);

/// A window and the device it runs on.
#[derive(Debug)]
struct OnDevice {
    device: String,
    window: Window,
}

/// The browser driver: chromedriver, the scenario's devices (their passkeys live here between
/// windows), and the window of the current sign-in.
#[derive(Debug)]
pub struct BrowserDriver {
    target: Target,
    pub app: App,
    devices: BTreeMap<String, VirtualAuthenticator>,
    actors: BTreeMap<String, String>,
    identifier: Option<String>,
    /// Native users' passwords by email.
    passwords: BTreeMap<String, String>,
    /// The window of the current sign-in.
    current: Option<OnDevice>,
    http: reqwest::Client,
    /// Shared by the scenarios of a run; the last one dropped kills what is left of Chromium.
    chromedriver: Arc<Chromedriver>,
}

impl BrowserDriver {
    /// A driver whose windows are sessions of `chromedriver` (one serves a whole run).
    pub fn new(
        target: Target,
        scenario: &Scenario,
        chromedriver: Arc<Chromedriver>,
    ) -> anyhow::Result<Self> {
        let devices = super::devices(scenario)?;
        let actors = super::identifiers(scenario);
        let http = super::http::new_browser(&target)?;
        Ok(Self {
            app: App::new(&target)?,
            target,
            devices,
            actors,
            identifier: None,
            passwords: super::passwords(scenario),
            current: None,
            http,
            chromedriver,
        })
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    pub async fn step(&mut self, step: &Step) -> anyhow::Result<()> {
        match step {
            Step::OpenLogin { actor, device } => self.open_login(actor, device).await,
            Step::ChooseBiometrics {} => self.choose_biometrics().await,
            Step::EnterIdentifier { next } => self.enter_identifier(*next).await,
            Step::ReadOtp {} => self.read_otp().await,
            Step::CreatePasskey { device } => self.passkey(device, "passkey-register").await,
            Step::UsePasskey { device } => self.passkey(device, "passkey-login").await,
            Step::ContinueOnPhone { device } => self.continue_on_phone(device).await,
            Step::Wait { seconds } => self.target.wait(*seconds),
            Step::ExpectError { error, description } => self.app.expect_error(error, description),
            Step::ExpectTokens {} => self.app.expect_tokens().await,
            Step::SignInWithPassword {} => self.sign_in_with_password().await,
            Step::AddPasskey { device } => {
                self.on(device)?;
                self.click_hosted("#passkey-button").await?;
                self.back_to_the_app().await
            }
            Step::SkipPasskey {} => {
                self.click_hosted("#passkey-skip").await?;
                self.back_to_the_app().await
            }
            Step::SignInWithPasskey { device } => {
                self.on(device)?;
                self.choose_factor("WEB_AUTHN", "#passkey-button").await?;
                self.click_hosted("#passkey-button").await?;
                self.back_to_the_app().await
            }
            Step::OpenApp { .. }
            | Step::Click { .. }
            | Step::Fill { .. }
            | Step::ExpectUrl { .. }
            | Step::ExpectText { .. } => self.app_step(step).await,
            Step::SignInWithEmailCode {} => {
                self.choose_factor("EMAIL_OTP", "input[name=code]").await?;
                let id = self.identifier.clone().unwrap_or_default();
                let code = latest_code(&self.http, &self.target.idp_url, &id).await?;
                let script = format!(
                    "document.querySelector('input[name=code]').value = {}; \
                     document.querySelector('button[name=codeSubmitButton]').click(); return null",
                    js_string(&code)
                );
                self.window()?.client.execute(&script, vec![]).await?;
                self.back_to_the_app().await
            }
        }
    }

    /// The browser's own device must be the step's (its authenticator runs the ceremony).
    fn on(&self, device: &str) -> anyhow::Result<()> {
        let on = self
            .current
            .as_ref()
            .ok_or_else(|| anyhow!("no browser window is open"))?;
        ensure!(
            on.device == device,
            "the browser driver uses the authenticator of the browser's own device ({}), not \
             the {device}'s",
            on.device
        );
        Ok(())
    }

    /// Clicks an element of Cognito's hosted page once it shows.
    async fn click_hosted(&self, selector: &str) -> anyhow::Result<()> {
        let q = js_string(selector);
        self.wait_for(selector, &format!("return !!document.querySelector({q})"))
            .await?;
        let script = format!("document.querySelector({q}).click(); return null");
        self.window()?.client.execute(&script, vec![]).await?;
        Ok(())
    }

    /// Types the email, presses the factor's button, waits for `next` on the next page.
    async fn choose_factor(&self, factor: &str, next: &str) -> anyhow::Result<()> {
        let user = self.identifier.clone().unwrap_or_default();
        let script = format!(
            "document.querySelector('input[name=username]').value = {}; \
             document.querySelector('button[name=factor][value={factor}]').click(); return null",
            js_string(&user)
        );
        self.window()?.client.execute(&script, vec![]).await?;
        let q = js_string(next);
        self.wait_for(next, &format!("return !!document.querySelector({q})"))
            .await
    }

    /// The email and password on Cognito's login page, "Sign in"; then the app, or the
    /// page offering a passkey.
    async fn sign_in_with_password(&mut self) -> anyhow::Result<()> {
        let user = self.identifier.clone().unwrap_or_default();
        let pw = self
            .passwords
            .get(&user)
            .cloned()
            .ok_or_else(|| anyhow!("{user} is not a native user of the preconditions"))?;
        let script = format!(
            "document.querySelector('input[name=username]').value = {}; \
             document.querySelector('input[name=password]').value = {}; \
             document.querySelector('button[name=signInSubmitButton]').click(); return null",
            js_string(&user),
            js_string(&pw)
        );
        self.window()?.client.execute(&script, vec![]).await?;
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            let w = self.window()?;
            let url = w.client.current_url().await?;
            if url.as_str().starts_with(CALLBACK) {
                return self.app.arrived(url.as_str());
            }
            let offer = w
                .client
                .execute("return !!document.querySelector('#passkey-skip')", vec![])
                .await;
            if offer.is_ok_and(|v| v == true) {
                return Ok(());
            }
            page_error(w).await?;
            if Instant::now() > deadline {
                bail!("after the password, neither the app nor a passkey offer (at {url})");
            }
            page_change(w).await;
        }
    }

    /// Closes every window (saving the devices' credentials); chromedriver stops when the
    /// last driver sharing it is dropped.
    pub async fn close(mut self) {
        if let Some(w) = self.current.take() {
            let _ = self.put_away(w).await;
        }
    }

    /// A new window on `device`, its authenticator holding the device's credentials.
    async fn open_window(&mut self, device: &str) -> anyhow::Result<OnDevice> {
        let d = self
            .devices
            .get(device)
            .ok_or_else(|| anyhow!("unknown device {device}"))?;
        let window = self.chromedriver.window(d.config()).await?;
        for c in d.credentials() {
            if let Err(e) = window.add_credential(c.to_webdriver()).await {
                window.close().await;
                return Err(e.context(format!("injecting the {device}'s passkeys")));
            }
        }
        Ok(OnDevice {
            device: device.to_owned(),
            window,
        })
    }

    /// Reads the window's credentials back into its device (new passkeys, counters).
    async fn sync(&mut self, on: &OnDevice) -> anyhow::Result<()> {
        let creds = on.window.credentials().await?;
        let device = self
            .devices
            .get_mut(&on.device)
            .ok_or_else(|| anyhow!("unknown device {}", on.device))?;
        for c in &creds {
            let c = Credential::from_webdriver(c)
                .map_err(|e| anyhow!("Chromium's credential on the {}: {e}", on.device))?;
            // WebDriver does not report user names: keep what the device knew.
            let c = match device.credential(&c.id) {
                Some(known) => Credential {
                    sign_count: c.sign_count,
                    ..known.clone()
                },
                None => c,
            };
            device.import_credential(c);
        }
        Ok(())
    }

    /// Saves the window's passkeys into its device and recycles it: wiped of everything the
    /// scenario's origins (Cognito, the IdP, the app) left in it, for the next window.
    async fn put_away(&mut self, on: OnDevice) -> anyhow::Result<()> {
        let r = self.sync(&on).await;
        let app = self.target.app_url.as_deref().unwrap_or(CALLBACK);
        let origins = [
            &self.target.cognito_url,
            &self.target.idp_url,
            CALLBACK,
            app,
        ]
        .map(|u| url::Url::parse(u).map(|u| u.origin().ascii_serialization()));
        match origins.into_iter().collect::<Result<Vec<_>, _>>() {
            Ok(origins) => on.window.recycle(&origins).await,
            Err(_) => on.window.close().await,
        }
        r
    }

    fn window(&self) -> anyhow::Result<&Window> {
        self.current
            .as_ref()
            .map(|c| &c.window)
            .ok_or_else(|| anyhow!("no browser window is open"))
    }

    async fn open_login(&mut self, actor: &str, device: &str) -> anyhow::Result<()> {
        if let Some(w) = self.current.take() {
            self.put_away(w).await?;
        }
        self.identifier = self.actors.get(actor).cloned();
        let url = self.app.sign_in();
        let on = self.open_window(device).await?;
        on.window.client.goto(&url).await?;
        self.current = Some(on);
        // The login page: its sign-in form, or (a client without Cognito's own directory) its
        // buttons per provider.
        self.wait_for(
            "Cognito's login page",
            "return !!document.querySelector('form[action^=\"/login\"], a.idp-button')",
        )
        .await
    }

    async fn choose_biometrics(&mut self) -> anyhow::Result<()> {
        let w = self.window()?;
        let label = format!("Continue with {PROVIDER}");
        let button = w
            .client
            .find(Locator::XPath(&format!(
                "//a[@class='idp-button' and normalize-space(.)='{label}']"
            )))
            .await
            .map_err(|_| anyhow!("the login page has no \"{label}\" button"))?;
        button.click().await?;
        let idp_login = format!(
            "return location.href.startsWith({}) && !!document.querySelector('#s-identifier.on')",
            js_string(&format!("{}/cis/login/", self.target.idp_url))
        );
        // The IdP's login page, or back at the app (the IdP refused the request: an error
        // for `expect_error`).
        self.until_the_app_or("the IdP's login page", Some(&idp_login))
            .await
    }

    /// Types into a field and presses a button.
    async fn fill(&self, field: &str, text: &str, button: &str) -> anyhow::Result<()> {
        let w = self.window()?;
        let input = element(w, field).await?;
        input.clear().await?;
        input.send_keys(text).await?;
        press(w, button).await
    }

    async fn enter_identifier(&mut self, next: NextStep) -> anyhow::Result<()> {
        let got = self.identify().await?;
        ensure!(got == next, "the page asks for {got:?}, not {next:?}");
        Ok(())
    }

    /// Types the identifier and presses Continue; returns what the page asks for next.
    pub async fn identify(&mut self) -> anyhow::Result<NextStep> {
        let id = self
            .identifier
            .clone()
            .ok_or_else(|| anyhow!("no actor opened the login"))?;
        // An app under test gets here by itself (its redirect goes on after the click).
        self.wait_for(
            "the IdP's login page",
            "return !!document.querySelector('#s-identifier.on')",
        )
        .await?;
        self.fill("identifier", &id, "identifier-submit").await?;
        let step = self
            .settled("the identifier's answer", "identifier")
            .await?;
        match step.as_str() {
            "otp" => Ok(NextStep::Otp),
            "passkey" => Ok(NextStep::Passkey),
            other => bail!("the page asks for {other}"),
        }
    }

    /// Puts a device (e.g. loaded from a device file) in the user's hands.
    pub fn insert_device(&mut self, name: &str, device: VirtualAuthenticator) {
        self.devices.insert(name.to_owned(), device);
    }

    /// The device back, with the passkeys its open window holds.
    pub async fn take_device(
        &mut self,
        name: &str,
    ) -> anyhow::Result<Option<VirtualAuthenticator>> {
        if let Some(on) = self.current.take_if(|on| on.device == name) {
            self.put_away(on).await?;
        }
        Ok(self.devices.remove(name))
    }

    async fn read_otp(&mut self) -> anyhow::Result<()> {
        let id = self.identifier.clone().unwrap_or_default();
        let code = latest_code(&self.http, &self.target.idp_url, &id).await?;
        self.fill("otp", &code, "otp-submit").await?;
        self.settled("the code's answer", "otp").await?;
        Ok(())
    }

    /// Waits until the page shows a step other than `from` (or an error), and, where it asks
    /// for a passkey on a device without a user-verifying platform authenticator, until it
    /// shows the QR code it opens by itself. Returns the step.
    async fn settled(&self, what: &str, from: &str) -> anyhow::Result<String> {
        let wait = format!("return S.step !== {} ? S.step : null", js_string(from));
        let step = wait_value(self.window()?, what, &wait).await?;
        let step = step.as_str().unwrap_or_default().to_owned();
        let w = self.window()?;
        let asks_passkey = matches!(step.as_str(), "register" | "passkey");
        let qr_enabled = w.client.execute("return S.qr_enabled === true", vec![]);
        if asks_passkey && qr_enabled.await? == true && !uvpa(w).await? {
            self.wait_for("the QR code the page opens by itself", QR_SHOWN)
                .await?;
        }
        Ok(step)
    }

    async fn passkey(&mut self, device: &str, button: &str) -> anyhow::Result<()> {
        let on = self
            .current
            .as_ref()
            .ok_or_else(|| anyhow!("no browser window is open"))?;
        ensure!(
            on.device == device,
            "the browser driver signs in with the authenticator of the browser's own device \
             ({}), not the {device}'s",
            on.device
        );
        press(&on.window, button).await?;
        // The new passkey or counter is read back when the window closes.
        self.back_to_the_app().await
    }

    /// The desktop shows a QR code (or is asked to: "Use another device"); the phone, a
    /// window of its own, reads it from a screenshot, opens its URL and runs the ceremony;
    /// the desktop's page, polling, continues to Cognito and the app.
    async fn continue_on_phone(&mut self, device: &str) -> anyhow::Result<()> {
        let shown = self.window()?.client.execute(QR_SHOWN, vec![]).await?;
        if shown != true {
            press(self.window()?, "other-device").await?;
            self.wait_for("the QR code", QR_SHOWN).await?;
        }
        let url = self.scan_qr().await?;
        let phone = self.open_window(device).await?;
        let ceremony = phone_ceremony(&phone.window, &url).await;
        let saved = self.put_away(phone).await;
        ceremony.context("on the phone")?;
        saved?;
        self.back_to_the_app().await
    }

    /// The phone's camera pointed at the desktop until it reads the code (a frame can catch
    /// the page mid-paint).
    async fn scan_qr(&self) -> anyhow::Result<String> {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            let png = self.window()?.screenshot().await?;
            match read_qr(&png) {
                Ok(url) => return Ok(url),
                Err(e) if Instant::now() > deadline => {
                    return Err(e.context("the phone's camera, pointed at the desktop"));
                }
                // Caught mid-paint: the next frame.
                Err(_) => {
                    let frame = "requestAnimationFrame(arguments[arguments.length - 1])";
                    let _ = self.window()?.client.execute_async(frame, vec![]).await;
                }
            }
        }
    }

    /// Follows the page to the app's callback (the app is not running: the URL is enough), or
    /// to the app under test (which exchanges the code itself).
    async fn back_to_the_app(&mut self) -> anyhow::Result<()> {
        self.until_the_app_or("the app", None).await
    }

    /// Waits until the browser is back at the app (the callback, recorded; or the app under
    /// test), or on a page where `page` (a script) returns true; a page's error line ends the
    /// wait with that line.
    async fn until_the_app_or(&mut self, what: &str, page: Option<&str>) -> anyhow::Result<()> {
        let w = self.window()?;
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            // A failed navigation (nothing listens at the callback) leaves no page to ask:
            // WebDriver's current URL is the one it tried.
            let url = w.client.current_url().await?;
            if let Some(app) = &self.target.app_url {
                if url.as_str().starts_with(app.as_str()) {
                    return Ok(());
                }
            } else if url.as_str().starts_with(CALLBACK) {
                return self.app.arrived(url.as_str());
            }
            if let Some(script) = page
                && let Ok(Value::Bool(true)) = w.client.execute(script, vec![]).await
            {
                return Ok(());
            }
            page_error_outside(w, self.target.app_url.as_deref()).await?;
            if Instant::now() > deadline {
                bail!("the browser did not get to {what} (it is at {url})");
            }
            page_change(w).await;
        }
    }

    async fn wait_for(&self, what: &str, predicate: &str) -> anyhow::Result<()> {
        let wait = format!("{{ const ok = (() => {{ {predicate} }})(); return ok ? true : null }}");
        wait_value(self.window()?, what, &wait).await.map(drop)
    }
}

/// What the page's script asks Chromium before it opens a QR code by itself.
async fn uvpa(w: &Window) -> anyhow::Result<bool> {
    let script = "const done = arguments[arguments.length - 1]; \
        PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable().then(done, () => done(false));";
    let v = w.client.execute_async(script, vec![]).await?;
    Ok(v == true)
}

/// The desktop page shows a QR image that has loaded.
const QR_SHOWN: &str = "const q = document.getElementById('qr'), i = document.getElementById('qr-img'); \
     return !!(q && !q.hidden && i && i.getAttribute('src') && i.complete && i.naturalWidth > 0)";

/// On the phone: the QR's URL, "Continue with a passkey", the ceremony, "Done".
async fn phone_ceremony(phone: &Window, url: &str) -> anyhow::Result<()> {
    phone.client.goto(url).await?;
    let ready =
        "const b = document.getElementById('phone-continue'); return b && !b.hidden ? true : null";
    wait_value(phone, "the phone's page", ready).await?;
    press(phone, "phone-continue").await?;
    let done = "const s = document.getElementById('status').textContent; \
                return s.startsWith('Done') ? s : null";
    wait_value(phone, "the phone's ceremony", done).await?;
    Ok(())
}

/// The element with this id, or an error naming it and the page.
async fn element(w: &Window, id: &str) -> anyhow::Result<fantoccini::elements::Element> {
    match w.client.find(Locator::Id(id)).await {
        Ok(e) => Ok(e),
        Err(e) => {
            let url = w.client.current_url().await?;
            Err(anyhow!(e).context(format!("no #{id} on the page at {url}")))
        }
    }
}

/// Presses the button with this id; a button the page does not show names the page's step.
async fn press(w: &Window, id: &str) -> anyhow::Result<()> {
    if let Err(e) = element(w, id).await?.click().await {
        let step = w
            .client
            .execute("return typeof S === 'object' ? S.step : null", vec![]);
        let step = step.await.unwrap_or(Value::Null);
        return Err(anyhow!(e).context(format!("pressing #{id} (the page shows step {step})")));
    }
    Ok(())
}

/// Fails with the page's error line, when it shows one.
async fn page_error(w: &Window) -> anyhow::Result<()> {
    page_error_outside(w, None).await
}

/// As [`page_error`], unless the page is the app under test's (`app`), which has an error line
/// of its own: read in the same script as the address, as the page may change in between.
async fn page_error_outside(w: &Window, app: Option<&str>) -> anyhow::Result<()> {
    let outside = app.map_or("true".to_owned(), |a| {
        format!("!location.href.startsWith({})", js_string(a))
    });
    let script = format!(
        "const e = document.getElementById('error'); return {outside} && e ? e.textContent : ''"
    );
    if let Ok(Value::String(e)) = w.client.execute(&script, vec![]).await
        && !e.trim().is_empty()
    {
        bail!("the page shows: {}", e.trim());
    }
    Ok(())
}

/// A JavaScript string literal.
fn js_string(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}
