//! Waiting for a page the way a user does: one async WebDriver script per look, answering on
//! the page's next change (a DOM mutation, a load, the page going away) rather than on a timer.

use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::Value;

use super::PAGE_TIMEOUT;
use super::chromedriver::Window;

/// Waits until `script` returns something other than null, looking again whenever the page
/// changes (see [`WATCH`]). A message in the page's error line ends the wait with that message;
/// a timeout names the page and the script's last error.
pub async fn wait_value(w: &Window, what: &str, script: &str) -> anyhow::Result<Value> {
    wait_value_watching(w, what, script, true).await
}

/// As [`wait_value`]; `error_line`: whether a message in the page's `#error` ends the wait
/// (the hosted pages' convention; an app under test has its own).
pub(super) async fn wait_value_watching(
    w: &Window,
    what: &str,
    script: &str,
    error_line: bool,
) -> anyhow::Result<Value> {
    let watch = watch(script, error_line);
    let deadline = Instant::now() + PAGE_TIMEOUT;
    let mut last: Option<String>;
    loop {
        match w.client.execute_async(&watch, vec![]).await {
            Ok(v) if v["error"].as_str().is_some_and(|e| !e.is_empty()) => {
                bail!(
                    "the page shows: {}",
                    v["error"].as_str().unwrap_or_default()
                );
            }
            Ok(v) if !v["value"].is_null() => return Ok(v["value"].clone()),
            Ok(_) => last = None,
            // Between two pages there is no document to ask (WebDriver waits for the next).
            Err(e) => last = Some(e.to_string()),
        }
        if Instant::now() > deadline {
            let url = w.client.current_url().await?;
            let why = last.map(|e| format!("; the page's script: {e}"));
            bail!(
                "waited {PAGE_TIMEOUT:?} for {what} (the browser is at {url}{})",
                why.unwrap_or_default()
            );
        }
    }
}

/// Waits for the page to change (a DOM mutation, a resource loaded, the page going away) or
/// [`WATCH_BOUND`]; errors are what a look at a page between two documents gives.
pub(super) async fn page_change(w: &Window) {
    let _ = w
        .client
        .execute_async(&watch("return null", true), vec![])
        .await;
}

/// [`WATCH`] looking with `look`, reading the page's `#error` line or not.
fn watch(look: &str, error_line: bool) -> String {
    let bound = WATCH_BOUND.as_millis().to_string();
    let error = if error_line {
        "document.getElementById('error')"
    } else {
        "null"
    };
    WATCH
        .replace("__LOOK__", look)
        .replace("__ERROR__", error)
        .replace("__BOUND_MS__", &bound)
}

/// The longest one look waits in the page before answering "not yet" (a bound: the look ends
/// as soon as the page changes).
const WATCH_BOUND: Duration = Duration::from_secs(1);

/// An async WebDriver script: looks (`__LOOK__`, a function body returning a value or null)
/// now and on every change of the page, and answers `{error, value}` as soon as the value is
/// not null or the page's error line shows a message, or when the page goes away, or after
/// [`WATCH_BOUND`].
const WATCH: &str = "const done = arguments[arguments.length - 1];
const look = () => { const e = __ERROR__;
  return {error: e ? e.textContent.trim() : '', value: (() => { __LOOK__ })() ?? null}; };
let over = false, obs = null, timer = null;
const finish = r => { if (over) return; over = true; if (obs) obs.disconnect(); clearTimeout(timer); done(r); };
const check = () => { const r = look(); if (r.error || r.value !== null) finish(r); };
obs = new MutationObserver(check);
obs.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
addEventListener('load', check, true);
addEventListener('pagehide', () => finish({error: '', value: null}));
timer = setTimeout(() => finish(look()), __BOUND_MS__);
check();";
