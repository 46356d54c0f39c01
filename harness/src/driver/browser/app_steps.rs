//! The steps on an app under test's page: opening it, clicking and typing by what a user sees
//! (a button's text, a field's label) or by a CSS selector, and what the page must show. The
//! identity steps in between (the IdP's pages, the passkey) are the driver's own.

use anyhow::{Context as _, anyhow, ensure};
use fantoccini::Locator;

use super::{BrowserDriver, js_string, wait_value_watching};
use crate::scenario::Step;

/// How the user points at an element.
enum Target<'a> {
    Text(&'a str),
    Label(&'a str),
    Css(&'a str),
}

impl Target<'_> {
    fn describe(&self) -> String {
        match self {
            Target::Text(t) => format!("the button or link \"{t}\""),
            Target::Label(l) => format!("the field labelled \"{l}\""),
            Target::Css(s) => format!("the element {s}"),
        }
    }

    /// An XPath (text, label) or CSS locator for it.
    fn xpath_or_css(&self) -> (bool, String) {
        match self {
            Target::Text(t) => {
                let t = xpath_literal(t);
                let clickable = "self::button or self::a or @role='button' or self::summary";
                let input = "self::input[@type='submit' or @type='button']";
                (
                    true,
                    format!(
                        "//*[({clickable}) and normalize-space(.)={t}] | //*[{input} and @value={t}]"
                    ),
                )
            }
            Target::Label(l) => {
                let l = xpath_literal(l);
                let field = "self::input or self::select or self::textarea";
                (
                    true,
                    format!(
                        "//*[({field}) and @id=//label[normalize-space(.)={l}]/@for] \
                         | //label[normalize-space(.)={l}]//*[{field}] \
                         | //*[({field}) and @aria-label={l}]"
                    ),
                )
            }
            Target::Css(s) => (false, (*s).to_owned()),
        }
    }
}

/// An XPath string literal for any text (`concat` when it holds both kinds of quote).
fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        return format!("'{s}'");
    }
    if !s.contains('"') {
        return format!("\"{s}\"");
    }
    let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
    format!("concat({})", parts.join(", \"'\", "))
}

fn target<'a>(
    text: &'a Option<String>,
    label: &'a Option<String>,
    selector: &'a Option<String>,
) -> anyhow::Result<Target<'a>> {
    match (text, label, selector) {
        (Some(t), None, None) => Ok(Target::Text(t)),
        (None, Some(l), None) => Ok(Target::Label(l)),
        (None, None, Some(s)) => Ok(Target::Css(s)),
        _ => Err(anyhow!("name one of text, label or selector")),
    }
}

impl BrowserDriver {
    pub(super) async fn app_step(&mut self, step: &Step) -> anyhow::Result<()> {
        match step {
            Step::OpenApp { actor, device } => self.open_app(actor, device).await,
            Step::Click {
                text,
                label,
                selector,
            } => self.click(&target(text, label, selector)?).await,
            Step::Fill {
                label,
                selector,
                value,
            } => self.fill_in(&target(&None, label, selector)?, value).await,
            Step::ExpectUrl { prefix } => self.expect_url(prefix).await,
            Step::ExpectText { text } => self.expect_text(text).await,
            _ => Err(anyhow!("not a step on the app's page")),
        }
    }

    fn app_url(&self) -> anyhow::Result<&str> {
        self.target.app_url.as_deref().ok_or_else(|| {
            anyhow!("no app under test: give the scenario an [app] section or run with --app-url")
        })
    }

    async fn open_app(&mut self, actor: &str, device: &str) -> anyhow::Result<()> {
        if let Some(w) = self.current.take() {
            self.put_away(w).await?;
        }
        self.identifier = self.actors.get(actor).cloned();
        let url = self.app_url()?.to_owned();
        let on = self.open_window(device).await?;
        on.window.client.goto(&url).await?;
        self.current = Some(on);
        Ok(())
    }

    /// Waits until the element shows (visible, enabled), then returns it.
    async fn find(&self, t: &Target<'_>) -> anyhow::Result<fantoccini::elements::Element> {
        let (xpath, q) = t.xpath_or_css();
        let lookup = if xpath {
            format!(
                "document.evaluate({}, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue",
                js_string(&q)
            )
        } else {
            format!("document.querySelector({})", js_string(&q))
        };
        let look = format!(
            "const e = {lookup}; return e && e.getClientRects().length > 0 && !e.disabled ? true : null"
        );
        wait_value_watching(self.window()?, &t.describe(), &look, false).await?;
        let locator = if xpath {
            Locator::XPath(&q)
        } else {
            Locator::Css(&q)
        };
        let w = self.window()?;
        w.client.find(locator).await.context(t.describe())
    }

    async fn click(&mut self, t: &Target<'_>) -> anyhow::Result<()> {
        self.find(t).await?.click().await.context(t.describe())?;
        Ok(())
    }

    async fn fill_in(&mut self, t: &Target<'_>, value: &str) -> anyhow::Result<()> {
        let field = self.find(t).await?;
        field.clear().await?;
        field.send_keys(value).await.context(t.describe())?;
        Ok(())
    }

    async fn expect_url(&self, prefix: &str) -> anyhow::Result<()> {
        let want = if prefix.starts_with('/') {
            format!("{}{prefix}", self.app_url()?)
        } else {
            prefix.to_owned()
        };
        let look = format!(
            "return location.href.startsWith({}) ? true : null",
            js_string(&want)
        );
        let what = format!("the browser to be at {want}");
        wait_value_watching(self.window()?, &what, &look, false)
            .await
            .map(drop)
    }

    async fn expect_text(&self, text: &str) -> anyhow::Result<()> {
        let look = format!(
            "return document.body && document.body.innerText.includes({}) ? true : null",
            js_string(text)
        );
        let what = format!("the page to show \"{text}\"");
        let r = wait_value_watching(self.window()?, &what, &look, false).await;
        if r.is_err() {
            let shown = self
                .window()?
                .client
                .execute(
                    "return document.body ? document.body.innerText : ''",
                    vec![],
                )
                .await?;
            let shown = shown
                .as_str()
                .unwrap_or_default()
                .trim()
                .replace('\n', " | ");
            ensure!(
                false,
                "the page does not show \"{text}\"; it shows: {shown}"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xpath_literals_quote_any_text() {
        assert_eq!(xpath_literal("Sign in"), "'Sign in'");
        assert_eq!(xpath_literal("Don't"), "\"Don't\"");
        assert_eq!(xpath_literal("a'b\"c"), "concat('a', \"'\", 'b\"c')");
    }
}
