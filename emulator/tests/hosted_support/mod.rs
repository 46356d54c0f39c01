//! A browser on the hosted UI's self-service pages, over HTTP: it keeps the `XSRF-TOKEN`
//! cookie a page sets, reads the page's form (its action and hidden fields) and posts it with
//! what a user types; redirects are shown, not followed.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use emulator::clock::ManualClock;
use emulator::{Config, Options};

use crate::common::{self, CLIENT, Emu};
use crate::oauth_support::{CALLBACK, browser};

/// The query every page carries: the app's authorize request (PKCE, state).
pub fn authorize_query(client: &str, challenge: &str) -> String {
    format!(
        "client_id={client}&redirect_uri={CALLBACK}&response_type=code&scope=openid+email&state=st-9&code_challenge={challenge}&code_challenge_method=S256"
    )
}

/// The default client's query with a fixed PKCE pair's challenge.
pub fn query() -> String {
    authorize_query(CLIENT, &crate::oauth_support::pkce("hosted").1)
}

/// An answer: its status, the page, and where a redirect points.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub html: String,
    pub location: Option<String>,
}

impl Page {
    /// The first post form's action, unescaped.
    pub fn action(&self) -> String {
        let tail = self
            .html
            .split("<form method=\"post\" action=\"")
            .nth(1)
            .unwrap_or_else(|| panic!("no form on the page: {}", self.html));
        unescape(tail.split('"').next().unwrap())
    }

    /// What the first post form sends as it stands: each input with a value (hidden, or
    /// filled in by the page).
    pub fn filled(&self) -> Vec<(String, String)> {
        let form = self
            .html
            .split("<form method=\"post\"")
            .nth(1)
            .and_then(|f| f.split("</form>").next())
            .unwrap_or("");
        let attr = |tag: &str, name: &str| {
            tag.split(&format!(" {name}=\""))
                .nth(1)
                .and_then(|v| v.split('"').next())
                .map(unescape)
        };
        form.split("<input ")
            .skip(1)
            .filter_map(|s| {
                let tag = s.split('>').next().unwrap();
                Some((attr(tag, "name")?, attr(tag, "value")?))
            })
            .collect()
    }

    /// The target of the link whose text is `text`, unescaped.
    pub fn link(&self, text: &str) -> String {
        let before = self
            .html
            .split(&format!("\">{text}</a>"))
            .next()
            .filter(|b| b.len() < self.html.len())
            .unwrap_or_else(|| panic!("no link {text:?} on the page: {}", self.html));
        unescape(before.rsplit("href=\"").next().unwrap())
    }

    /// Asserts the page says `text` (with apostrophes as the pages escape them).
    pub fn says(&self, text: &str) -> &Self {
        let escaped = text.replace('\'', "&#39;");
        assert!(
            self.html.contains(&escaped),
            "{text:?} not on the page ({}): {}",
            self.status,
            self.html
        );
        self
    }
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub struct Browser {
    base: String,
    http: reqwest::Client,
    cookie: Option<String>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: browser(),
            cookie: None,
        }
    }

    async fn read(&mut self, r: reqwest::Response) -> Page {
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        for v in r.headers().get_all("set-cookie") {
            let c = v.to_str().unwrap().split(';').next().unwrap();
            if c.starts_with("XSRF-TOKEN=") {
                self.cookie = Some(c.to_owned());
            }
        }
        let html = r.text().await.unwrap();
        Page {
            status,
            html,
            location,
        }
    }

    /// GET a path on the emulator (or a full URL).
    pub async fn get(&mut self, path: &str) -> Page {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let r = self.http.get(url).send().await.unwrap();
        self.read(r).await
    }

    /// Post `page`'s form as it stands, with `fields` typed in.
    pub async fn submit(&mut self, page: &Page, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(String, String)> = page
            .filled()
            .into_iter()
            .filter(|(k, _)| !fields.iter().any(|(n, _)| n == k))
            .collect();
        form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.post(&page.action(), &form).await
    }

    /// Post a form to `path` as it is (no hidden fields added).
    pub async fn post(&mut self, path: &str, form: &[(String, String)]) -> Page {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let r = req.send().await.unwrap();
        self.read(r).await
    }
}

/// The default config's emulator on a manual clock set to now.
pub async fn start_on_manual_clock() -> (Emu, Arc<ManualClock>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let clock = Arc::new(ManualClock::new(now));
    let options = Options {
        clock: clock.clone(),
        ..Options::default()
    };
    let running = emulator::start_with(Config::default_config().with_ephemeral_ports(), options)
        .await
        .unwrap();
    let sdk = common::sdk(&running.cognito_url);
    (Emu { running, sdk }, clock)
}

/// The user's `UserStatus`, or None when there is no such user.
pub async fn status(emu: &Emu, username: &str) -> Option<String> {
    let u = emu
        .sdk
        .admin_get_user()
        .user_pool_id(common::POOL)
        .username(username)
        .send()
        .await
        .ok()?;
    u.user_status().map(|s| s.as_str().to_owned())
}
