//! `emulator journal [--follow] [--flow ID] [--url URL]`: a running emulator's journal in the
//! terminal, one line per event (coloured on a terminal), read from `/_emulator/journal`;
//! with `--follow`, long polls for new events until the emulator goes away, as
//! `docker logs -f` does.

use std::io::Write;

use anyhow::{Context as _, bail};
use serde_json::Value;

use super::{Event, EventKind, Service};

/// What to read and how to print it.
#[derive(Debug, Clone)]
pub struct Tail {
    /// The Cognito origin, e.g. `http://localhost:9229`.
    pub url: String,
    pub flow: Option<String>,
    pub follow: bool,
    pub color: bool,
    /// The CA of an emulator in HTTPS mode.
    pub ca: Option<std::path::PathBuf>,
}

/// How long each long poll waits for a new event.
const POLL_SECS: u64 = 25;

/// Detail members worth a line: what happened, not ids or secrets.
const KEYS: &[&str] = &[
    "error",
    "message",
    "error_description",
    "fault",
    "faults",
    "provider",
    "username",
    "destination",
    "trigger",
    "outcome",
    "ceremony",
    "grant_type",
    "status",
];

/// Prints the journal (and, following, every new event) to `out`.
pub async fn run<W: Write + ?Sized>(tail: &Tail, out: &mut W) -> anyhow::Result<()> {
    let http = crate::tls::tool_client(tail.ca.as_deref())?;
    let mut after = 0;
    loop {
        let events = fetch(&http, tail, after).await?;
        for e in &events {
            writeln!(out, "{}", line(e, tail.color))?;
            after = after.max(e.seq);
        }
        out.flush()?;
        if !tail.follow {
            return Ok(());
        }
    }
}

async fn fetch(http: &reqwest::Client, tail: &Tail, after: u64) -> anyhow::Result<Vec<Event>> {
    let base = tail.url.trim_end_matches('/');
    let mut query = vec![("after", after.to_string())];
    if tail.follow {
        query.push(("wait", POLL_SECS.to_string()));
    }
    if let Some(f) = &tail.flow {
        query.push(("flow", f.clone()));
    }
    let resp = http
        .get(format!("{base}/_emulator/journal"))
        .query(&query)
        .send()
        .await
        .with_context(|| format!("reading the journal at {base} (is the emulator running?)"))?;
    if !resp.status().is_success() {
        bail!("{base}/_emulator/journal answered {}", resp.status());
    }
    let body: Value = resp.json().await.context("the journal's answer")?;
    serde_json::from_value(body["events"].clone()).context("the journal's events")
}

/// One event: time of day (UTC), service, kind, flow, name and the telling detail members.
pub fn line(e: &Event, color: bool) -> String {
    let ms = e.at_millis.rem_euclid(86_400_000);
    let time = format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    );
    let (service, kind) = (e.service.name(), e.kind.name());
    let head = format!(
        "{time} {service:<7} {kind:<12} {:<12} {}",
        e.flow.as_deref().map_or("-", short),
        e.name
    );
    let mut fields = Vec::new();
    if let Some(d) = e.detail.as_object() {
        for k in KEYS {
            match d.get(*k) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => fields.push(format!("{k}={s}")),
                Some(v) => fields.push(format!("{k}={v}")),
            }
        }
    }
    let text = if fields.is_empty() {
        head
    } else {
        format!("{head}  {}", fields.join(" "))
    };
    if !color {
        return text;
    }
    let code = match (e.kind, e.service) {
        (EventKind::Rejected, _) => "31",
        (EventKind::Trigger, _) => "34",
        (EventKind::MessageSent, _) => "32",
        (_, Service::Idp) => "35",
        (_, Service::Control) => "33",
        (_, Service::Cognito) => "36",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// A flow id cut to 12 characters: enough to tell flows apart on a line.
fn short(flow: &str) -> &str {
    let mut end = flow.len().min(12);
    while !flow.is_char_boundary(end) {
        end -= 1;
    }
    &flow[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: EventKind, detail: Value) -> Event {
        Event {
            seq: 7,
            at_millis: 1_767_225_600_000 + 3_723_004,
            service: Service::Cognito,
            kind,
            name: "federation.idpresponse".into(),
            flow: Some("abcdefghijklmnopqrstuvwxyz".into()),
            detail,
        }
    }

    #[test]
    fn a_line_per_event_coloured_only_when_asked() {
        let e = event(
            EventKind::Rejected,
            json!({"error": "invalid_request", "request": {"x": 1}, "faults": ["a"]}),
        );
        let want = "01:02:03.004 cognito rejected     abcdefghijkl federation.idpresponse  \
                    error=invalid_request faults=[\"a\"]";
        assert_eq!(line(&e, false), want);
        assert_eq!(line(&e, true), format!("\x1b[31m{want}\x1b[0m"));
        let plain = event(EventKind::FlowStep, Value::Null);
        assert!(line(&plain, true).starts_with("\x1b[36m01:02:03.004 cognito flow_step"));
    }
}
