//! `emulator doctor [--config FILE] [--url URL]`: the static checks of a config and its
//! handler files, and with `--url` the checks of a running emulator's journal, printed.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use serde_json::Value;

use super::Finding;
use crate::config::Config;

/// Runs the checks and prints the findings to `out`: `Ok(true)` when there are none.
pub async fn run(
    config: Option<&Path>,
    url: Option<&str>,
    ca: Option<&Path>,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let config_file = config;
    let (config, origin) = match config {
        Some(path) => (Config::load(path)?, path.display().to_string()),
        None => (
            Config::default_config(),
            "the embedded default config".to_owned(),
        ),
    };
    let base = config_file
        .and_then(Path::parent)
        .filter(|d| !d.as_os_str().is_empty());
    let mut findings = super::static_checks(&config, base);
    let mut checked = vec![origin];
    if let Some(url) = url {
        let events = journal(url, ca).await?;
        checked.push(format!("the journal of {url} ({} events)", events.len()));
        findings.extend(super::journal::check(&events));
    }
    print(&findings, &checked, out)?;
    Ok(findings.is_empty())
}

/// The events of the emulator at `url`, from `/_emulator/journal`.
async fn journal(url: &str, ca: Option<&Path>) -> anyhow::Result<Vec<Value>> {
    let endpoint = format!("{}/_emulator/journal", url.trim_end_matches('/'));
    let resp = crate::tls::tool_client(ca)?
        .get(&endpoint)
        .send()
        .await
        .with_context(|| format!("reading {endpoint}"))?;
    anyhow::ensure!(resp.status().is_success(), "{endpoint}: {}", resp.status());
    let body: Value = resp
        .json()
        .await
        .with_context(|| format!("reading {endpoint}"))?;
    match body.get("events") {
        Some(Value::Array(events)) => Ok(events.clone()),
        _ => anyhow::bail!("{endpoint} answered no `events` list"),
    }
}

/// Each finding (id, title, where, why, fix), then a summary line.
pub fn print(
    findings: &[Finding],
    checked: &[String],
    out: &mut impl Write,
) -> std::io::Result<()> {
    for f in findings {
        writeln!(out, "{}", f.render())?;
    }
    let what = checked.join(" and ");
    match findings.len() {
        0 => writeln!(out, "no findings in {what}"),
        1 => writeln!(out, "1 finding in {what}"),
        n => writeln!(out, "{n} findings in {what}"),
    }
}
