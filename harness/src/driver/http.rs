//! The browserless driver: a reqwest client with a cookie jar (Cognito's and the IdP's
//! cookies), no automatic redirects (each hop is checked), `idp.localhost` resolved to
//! loopback, and the scenario's virtual authenticators. It does what the IdP pages' script
//! does: the JSON endpoints under `/cis/api/`, `navigator.credentials` on the device, then
//! the navigation to the redirect.

use std::collections::BTreeMap;

use anyhow::{Context as _, anyhow, bail, ensure};
use serde_json::{Value, json};

use super::app::App;
use super::{PROVIDER, Target, latest_code};
use crate::authenticator::VirtualAuthenticator;
use crate::scenario::{NextStep, Scenario, Step};

/// A browser: its own cookie jar, redirects shown rather than followed, `idp.localhost`
/// resolved to loopback on the IdP's port.
pub(super) fn new_browser(target: &Target) -> anyhow::Result<reqwest::Client> {
    let idp = url::Url::parse(&target.idp_url)?;
    let port = idp.port_or_known_default().unwrap_or(80);
    Ok(super::client_builder(target.trust.as_ref())
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .resolve("idp.localhost", ([127, 0, 0, 1], port).into())
        .build()?)
}

/// The target of the login page's `<a class="idp-button" href="...">Continue with NAME</a>`.
fn idp_button(page: &str, provider: &str) -> Option<String> {
    page.split("<a class=\"idp-button\" href=\"")
        .skip(1)
        .find_map(|rest| {
            let (href, tail) = rest.split_once('"')?;
            tail.starts_with(&format!(">Continue with {provider}<"))
                .then(|| href.replace("&amp;", "&"))
        })
}

/// An HTML page's hidden fields (`<input type="hidden" name=... value=...>`), in order.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|rest| {
            let tag = rest.split('>').next()?;
            let (name, attrs) = tag.split_once('"')?;
            let value = attrs
                .split("value=\"")
                .nth(1)
                .and_then(|v| v.split('"').next())
                .unwrap_or("");
            Some((name.to_owned(), unescape(value)))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The text of the page's `<p id="error">` (the hosted pages' error line; tags dropped,
/// trimmed, as a browser's `textContent`), when it says something.
fn page_error(html: &str) -> Option<String> {
    let rest = html.split("<p id=\"error\"").nth(1)?;
    let inner = rest.split_once('>')?.1.split("</p>").next()?;
    let mut text = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = unescape(text.trim());
    (!text.is_empty()).then_some(text)
}

/// The page's first form's `action`.
fn form_action(html: &str) -> Option<String> {
    let tag = html.split("<form ").nth(1)?.split('>').next()?;
    let action = tag.split("action=\"").nth(1)?;
    Some(unescape(action.split('"').next()?))
}

/// The JSON of the page's `<script type="application/json" id="options">`.
fn page_options(html: &str) -> Option<String> {
    let rest = html.split("id=\"options\">").nth(1)?;
    Some(rest.split("</script>").next()?.to_owned())
}

#[derive(Debug)]
pub struct HttpDriver {
    target: Target,
    pub app: App,
    browser: reqwest::Client,
    devices: BTreeMap<String, VirtualAuthenticator>,
    actors: BTreeMap<String, String>,
    /// The identifier of the actor who opened the login.
    identifier: Option<String>,
    /// The device whose browser opened the login.
    browser_device: Option<String>,
    /// The IdP's hosted interaction id (its login page `/cis/login/<id>`).
    interaction: Option<String>,
    /// The QR ticket the IdP's page shows: (ticket, the URL it encodes).
    qr: Option<(String, String)>,
    /// Cognito's hosted login page, while it is open.
    hosted_page: Option<String>,
    /// Native users' passwords by email.
    passwords: BTreeMap<String, String>,
}

impl HttpDriver {
    pub fn new(target: Target, scenario: &Scenario) -> anyhow::Result<Self> {
        let browser = new_browser(&target)?;
        let devices = super::devices(scenario)?;
        let actors = super::identifiers(scenario);
        Ok(Self {
            app: App::new(&target)?,
            target,
            browser,
            devices,
            actors,
            identifier: None,
            browser_device: None,
            interaction: None,
            qr: None,
            hosted_page: None,
            passwords: super::passwords(scenario),
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
            Step::CreatePasskey { device } => self.passkey(device, "create").await,
            Step::UsePasskey { device } => self.passkey(device, "get").await,
            Step::ContinueOnPhone { device } => self.continue_on_phone(device).await,
            Step::Wait { seconds } => self.target.wait(*seconds),
            Step::ExpectError { error, description } => self.app.expect_error(error, description),
            Step::ExpectTokens {} => self.app.expect_tokens().await,
            Step::SignInWithPassword {} => self.sign_in_with_password().await,
            Step::AddPasskey { device } => self.hosted_passkey(device, "create").await,
            Step::SkipPasskey {} => self.skip_passkey().await,
            Step::SignInWithPasskey { device } => {
                self.choose_factor("WEB_AUTHN").await?;
                self.hosted_passkey(device, "get").await
            }
            Step::SignInWithEmailCode {} => {
                self.choose_factor("EMAIL_OTP").await?;
                self.hosted_code().await
            }
            Step::OpenApp { .. }
            | Step::Click { .. }
            | Step::Fill { .. }
            | Step::ExpectUrl { .. }
            | Step::ExpectText { .. } => bail!(
                "\"{}\" is a step on the app's own page, which only a browser runs: use --driver browser",
                step.title()
            ),
        }
    }

    fn hosted(&self) -> anyhow::Result<&str> {
        self.hosted_page
            .as_deref()
            .ok_or_else(|| anyhow!("no page of Cognito's hosted UI is open"))
    }

    /// Posts a form of Cognito's current page (its hidden fields and `extra`): the next page,
    /// or the redirect to the app.
    async fn submit(&mut self, extra: &[(&str, &str)]) -> anyhow::Result<()> {
        let html = self.hosted()?.to_owned();
        let action = form_action(&html).ok_or_else(|| anyhow!("the page has no form"))?;
        let mut fields = hidden_fields(&html);
        fields.retain(|(k, v)| !(k == "credential" && v.is_empty()));
        fields.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let url = format!("{}{action}", self.target.cognito_url);
        let resp = self.browser.post(&url).form(&fields).send().await?;
        if resp.status().is_redirection() {
            self.hosted_page = None;
            let to = Self::location(&resp)?;
            return self.app.arrived(&to);
        }
        let status = resp.status();
        let page = resp.text().await?;
        if let Some(e) = page_error(&page) {
            bail!("the page shows: {e}");
        }
        if let Some(e) = page
            .split("id=\"loginErrorMessage\" role=\"alert\">")
            .nth(1)
        {
            bail!(
                "the page shows: {}",
                unescape(e.split('<').next().unwrap_or(""))
            );
        }
        ensure!(status.is_success(), "Cognito's page: {status}");
        self.hosted_page = Some(page);
        Ok(())
    }

    fn username(&self) -> anyhow::Result<String> {
        self.identifier
            .clone()
            .ok_or_else(|| anyhow!("no actor opened the login"))
    }

    async fn sign_in_with_password(&mut self) -> anyhow::Result<()> {
        let user = self.username()?;
        let pw = self
            .passwords
            .get(&user)
            .cloned()
            .ok_or_else(|| anyhow!("{user} is not a native user of the preconditions"))?;
        self.submit(&[("username", &user), ("password", &pw)]).await
    }

    /// The email and a passwordless button of the login page.
    async fn choose_factor(&mut self, factor: &str) -> anyhow::Result<()> {
        let user = self.username()?;
        self.submit(&[("username", &user), ("factor", factor)])
            .await
    }

    /// What the passkey page's script does: the options to the device, the credential's
    /// JSON in the form, submitted.
    async fn hosted_passkey(&mut self, device: &str, ceremony: &str) -> anyhow::Result<()> {
        let html = self.hosted()?.to_owned();
        let options = page_options(&html).ok_or_else(|| anyhow!("the page asks for no passkey"))?;
        let origin = self.target.cognito_url.clone();
        let d = self.device(device)?;
        let credential = match ceremony {
            "create" => d.create(&options, &origin),
            _ => d.get(&options, &origin),
        }
        .map_err(|e| anyhow!("the {device}'s authenticator: {e:?}"))?;
        self.submit(&[("credential", &credential.to_string())])
            .await
    }

    async fn skip_passkey(&mut self) -> anyhow::Result<()> {
        let html = self.hosted()?.to_owned();
        ensure!(html.contains("passkey-skip"), "the page offers no passkey");
        self.submit(&[("skip", "1")]).await
    }

    /// The code from the outbox, typed into the code page.
    async fn hosted_code(&mut self) -> anyhow::Result<()> {
        let user = self.username()?;
        let code = latest_code(&self.browser, &self.target.idp_url, &user).await?;
        self.submit(&[("code", &code)]).await
    }

    async fn get(&self, url: &str) -> anyhow::Result<reqwest::Response> {
        self.browser
            .get(url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))
    }

    fn location(resp: &reqwest::Response) -> anyhow::Result<String> {
        resp.headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("expected a redirect, got {}", resp.status()))
    }

    /// The app sends the browser to Cognito's authorize (no `identity_provider`): the hosted
    /// login page, with one button per identity provider.
    async fn open_login(&mut self, actor: &str, device: &str) -> anyhow::Result<()> {
        // A new browser session: no IdP session cookie gives single sign-on past the page.
        self.browser = new_browser(&self.target)?;
        self.identifier = self.actors.get(actor).cloned();
        self.browser_device = Some(device.to_owned());
        self.interaction = None;
        self.qr = None;
        let url = self.app.sign_in();
        let (_, page) = self.land(&url).await?.ok_or_else(|| {
            anyhow!("Cognito sent the browser back to the app, not to its login page")
        })?;
        self.hosted_page = Some(page);
        Ok(())
    }

    /// Where the browser lands from `url`, following redirects: a page (its address and HTML),
    /// or `None` at the app's callback (recorded: the app is not running). A page showing an
    /// error line is a failure naming it, as the browser driver reports it.
    async fn land(&mut self, url: &str) -> anyhow::Result<Option<(String, String)>> {
        let mut url = url.to_owned();
        for _ in 0..10 {
            if url.starts_with(super::CALLBACK) {
                self.app.arrived(&url)?;
                return Ok(None);
            }
            let resp = self.get(&url).await?;
            if resp.status().is_redirection() {
                let to = Self::location(&resp)?;
                url = url::Url::parse(&url)?.join(&to)?.to_string();
                continue;
            }
            let status = resp.status();
            let html = resp.text().await?;
            if let Some(e) = page_error(&html) {
                bail!("the page shows: {e}");
            }
            ensure!(status.is_success(), "{url}: {status}");
            return Ok(Some((url, html)));
        }
        bail!("the browser was redirected more than 10 times, the last to {url}")
    }

    /// Presses "Continue with Mosaic" on Cognito's login page: the IdP's login page opens.
    async fn choose_biometrics(&mut self) -> anyhow::Result<()> {
        let page = self
            .hosted_page
            .take()
            .ok_or_else(|| anyhow!("Cognito's login page is not open"))?;
        let href = idp_button(&page, PROVIDER)
            .ok_or_else(|| anyhow!("the login page has no \"Continue with {PROVIDER}\" button"))?;
        let url = format!("{}{href}", self.target.cognito_url);
        // Back at the app: the IdP refused the request (an error for `expect_error`).
        let Some((at, _)) = self.land(&url).await? else {
            return Ok(());
        };
        let ix = at
            .strip_prefix(&format!("{}/cis/login/", self.target.idp_url))
            .ok_or_else(|| anyhow!("the IdP did not show its login page but {at}"))?;
        self.interaction = Some(ix.to_owned());
        Ok(())
    }

    fn interaction(&self) -> anyhow::Result<&str> {
        self.interaction
            .as_deref()
            .ok_or_else(|| anyhow!("no login page is open"))
    }

    /// A JSON call of the page's script; a refusal shows the vendor's message.
    async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.target.idp_url);
        let resp = self.browser.post(&url).json(body).send().await?;
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("the page shows: {} ({})", v["message"][0], v["error"]);
        }
        Ok(v)
    }

    async fn api(&self, step: &str, body: &Value) -> anyhow::Result<Value> {
        let ix = self.interaction()?;
        self.post(&format!("/cis/api/interactions/{ix}/{step}"), body)
            .await
    }

    async fn enter_identifier(&mut self, next: NextStep) -> anyhow::Result<()> {
        let got = self.identify().await?;
        ensure!(got == next, "the page asks for {got:?}, not {next:?}");
        Ok(())
    }

    /// Types the identifier; returns what the page asks for next.
    pub async fn identify(&mut self) -> anyhow::Result<NextStep> {
        let id = self
            .identifier
            .clone()
            .ok_or_else(|| anyhow!("no actor opened the login"))?;
        let v = self.api("identifier", &json!({"identifier": id})).await?;
        self.render(&v).await?;
        match v["step"].as_str() {
            Some("otp") => Ok(NextStep::Otp),
            Some("passkey") => Ok(NextStep::Passkey),
            _ => bail!("the page asks for {}", v["step"]),
        }
    }

    /// Puts a device (e.g. loaded from a device file) in the user's hands.
    pub fn insert_device(&mut self, name: &str, device: VirtualAuthenticator) {
        self.devices.insert(name.to_owned(), device);
    }

    pub fn take_device(&mut self, name: &str) -> Option<VirtualAuthenticator> {
        self.devices.remove(name)
    }

    async fn read_otp(&mut self) -> anyhow::Result<()> {
        let id = self.identifier.clone().unwrap_or_default();
        let code = latest_code(&self.browser, &self.target.idp_url, &id).await?;
        let v = self.api("otp/verify", &json!({"code": code})).await?;
        self.render(&v).await
    }

    /// What the page's script does on showing a step: where a passkey is asked for and the
    /// browser's device has no platform authenticator with user verification
    /// (`isUserVerifyingPlatformAuthenticatorAvailable()` is false), it opens a QR ticket.
    async fn render(&mut self, view: &Value) -> anyhow::Result<()> {
        let asks_passkey = matches!(view["step"].as_str(), Some("register" | "passkey"));
        if !asks_passkey || view["qr_enabled"] != true || self.qr.is_some() {
            return Ok(());
        }
        let name = self.browser_device.clone().unwrap_or_default();
        if !self.device(&name)?.config().is_uv_platform() {
            self.open_qr().await?;
        }
        Ok(())
    }

    /// "Use another device" (or the page by itself): a QR ticket and the URL it encodes.
    async fn open_qr(&mut self) -> anyhow::Result<()> {
        let t = self.api("qr", &json!({})).await?;
        match (t["ticket"].as_str(), t["url"].as_str()) {
            (Some(t), Some(u)) => self.qr = Some((t.to_owned(), u.to_owned())),
            _ => bail!("the page shows no QR code: {t}"),
        }
        Ok(())
    }

    fn device(&mut self, name: &str) -> anyhow::Result<&mut VirtualAuthenticator> {
        self.devices
            .get_mut(name)
            .ok_or_else(|| anyhow!("unknown device {name}"))
    }

    /// Runs `navigator.credentials.<ceremony>` on the device with the page's options.
    fn ceremony(&mut self, device: &str, options: &Value, want: &str) -> anyhow::Result<Value> {
        let kind = options["ceremony"].as_str().unwrap_or_default();
        ensure!(kind == want, "the page runs a {kind} ceremony, not {want}");
        let origin = self.target.idp_url.clone();
        let public_key = options["publicKey"].to_string();
        let d = self.device(device)?;
        let r = match kind {
            "create" => d.create(&public_key, &origin),
            _ => d.get(&public_key, &origin),
        };
        r.map_err(|e| anyhow!("the {device} says {}: {}", e.name, e.reason))
    }

    async fn passkey(&mut self, device: &str, want: &str) -> anyhow::Result<()> {
        let options = self.api("webauthn/options", &json!({})).await?;
        let cred = self.ceremony(device, &options, want)?;
        let path = if want == "create" {
            "webauthn/register"
        } else {
            "webauthn/authenticate"
        };
        let v = self.api(path, &cred).await?;
        self.back_to_the_app(&v).await
    }

    async fn continue_on_phone(&mut self, device: &str) -> anyhow::Result<()> {
        let ix = self.interaction()?.to_owned();
        if self.qr.is_none() {
            self.open_qr().await?;
        }
        let (ticket, url) = self.qr.clone().unwrap_or_default();
        // The phone (its own browser, no cookies) opens the QR's URL and runs the ceremony.
        let phone = new_browser(&self.target)?;
        let page = phone.get(&url).send().await?;
        ensure!(
            page.status().is_success(),
            "the phone's page: {}",
            page.status()
        );
        let base = self.target.idp_url.clone();
        let options: Value = phone
            .post(format!("{base}/cis/api/tickets/{ticket}/attach"))
            .json(&json!({}))
            .send()
            .await?
            .json()
            .await?;
        let want = options["ceremony"].as_str().unwrap_or("create").to_owned();
        let cred = self.ceremony(device, &options, &want)?;
        let done: Value = phone
            .post(format!("{base}/cis/api/tickets/{ticket}/finish"))
            .json(&cred)
            .send()
            .await?
            .json()
            .await?;
        ensure!(done["status"] == "success", "the phone shows {done}");
        // The desktop's page polls the ticket and follows its redirect.
        let poll = format!("{base}/cis/api/interactions/{ix}/qr/{ticket}");
        let v: Value = self.get(&poll).await?.json().await?;
        ensure!(v["status"] == "success", "the desktop shows {v}");
        self.back_to_the_app(&v).await
    }

    /// The page navigates to the IdP's redirect: Cognito's idpresponse, which sends the
    /// browser to the app's callback (recorded; the app is not running).
    async fn back_to_the_app(&mut self, v: &Value) -> anyhow::Result<()> {
        let to = v["redirect"]
            .as_str()
            .ok_or_else(|| anyhow!("the page has nowhere to go: {v}"))?;
        let resp = self.get(to).await?;
        let callback = Self::location(&resp).with_context(|| format!("Cognito at {to}"))?;
        self.app.arrived(&callback)
    }
}
