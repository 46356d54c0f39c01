//! Scenario transcripts, built from the emulator's journal: per step, the events it caused
//! (service, kind, name, the detail fields worth reading), with the emulator's origins and
//! flow ids replaced by stable names so that every run of a scenario gives the same text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::scenario::Scenario;

/// Detail fields shown in transcripts: the ones that say what happened, not ids or secrets.
const DETAIL_KEYS: &[&str] = &[
    "error",
    "message",
    "reason",
    "step",
    "ceremony",
    "status",
    "trigger",
    "triggerSource",
    "answer",
    "provider",
    "username",
    "user",
    "grant_type",
    "purpose",
    "destination",
    "challenge",
    "fault",
    "faults",
];

#[derive(Debug)]
pub struct Transcript {
    out: String,
    origins: Vec<(String, &'static str)>,
    flows: BTreeMap<String, String>,
}

impl Transcript {
    pub fn new(scenario: &Scenario, cognito_url: &str, idp_url: &str) -> Self {
        let mut out = format!("# {}\n{}\n", scenario.name, scenario.description.trim());
        if let Some(why) = &scenario.expected_failure {
            let _ = writeln!(out, "expected failure: {}", why.trim());
        }
        Self {
            out,
            origins: vec![
                (cognito_url.to_owned(), "http://cognito"),
                (idp_url.to_owned(), "http://idp"),
            ],
            flows: BTreeMap::new(),
        }
    }

    /// Another origin (the app under test's) under a fixed name.
    pub fn name_origin(&mut self, origin: &str, name: &'static str) {
        self.origins.push((origin.to_owned(), name));
    }

    /// The emulator's origins (ports differ per run) as fixed names.
    fn normalise(&self, s: &str) -> String {
        self.origins
            .iter()
            .fold(s.to_owned(), |acc, (from, to)| acc.replace(from, to))
    }

    fn flow(&mut self, id: &str) -> String {
        let n = self.flows.len() + 1;
        self.flows
            .entry(id.to_owned())
            .or_insert_with(|| format!("flow-{n}"))
            .clone()
    }

    pub fn section(&mut self, title: &str, events: &[Value], error: Option<&str>) {
        let _ = writeln!(self.out, "\n## {title}");
        for e in events {
            let line = self.event(e);
            self.out.push_str(&line);
        }
        if let Some(err) = error {
            let err = self.normalise(err);
            let _ = writeln!(self.out, "  !! {err}");
        }
    }

    fn event(&mut self, e: &Value) -> String {
        let s = |k: &str| e[k].as_str().unwrap_or("-").to_owned();
        let flow = match e["flow"].as_str() {
            Some(f) => self.flow(f),
            None => "-".into(),
        };
        let mut line = format!(
            "  {:<8} {:<12} {:<7} {}",
            s("service"),
            s("kind"),
            flow,
            s("name")
        );
        let mut fields = Vec::new();
        if let Some(d) = e["detail"].as_object() {
            for k in DETAIL_KEYS {
                if let Some(v) = d.get(*k).filter(|v| !v.is_null()) {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    fields.push(format!("{k}={}", self.normalise(&v)));
                }
            }
        }
        if !fields.is_empty() {
            let _ = write!(line, "  {}", fields.join(" "));
        }
        line.push('\n');
        // A Lambda's console output, as CloudWatch would show it; not Node's own process
        // warnings (`(node:<pid>) Warning: ...`) nor raw stderr, which name a pid and are
        // attached to whichever answer comes next.
        let logs = e["detail"]["logs"].as_array().into_iter().flatten();
        for log in logs.filter_map(Value::as_str) {
            let message = log.split_once('\t').map_or(log, |(_, m)| m);
            if log.starts_with("STDERR\t") || message.starts_with("(node:") {
                continue;
            }
            for l in log.lines() {
                let _ = writeln!(line, "      | {}", self.normalise(l).replace('\t', " "));
            }
        }
        line
    }

    /// The claims of the last ID token the app received, one per line (sorted by name).
    pub fn claims(&mut self, claims: &serde_json::Map<String, Value>) {
        let _ = writeln!(self.out, "\n## the app's ID token");
        let sorted: BTreeMap<_, _> = claims.iter().collect();
        for (name, value) in sorted {
            let value = self.normalise(&value.to_string());
            let _ = writeln!(self.out, "  {name} = {value}");
        }
    }

    pub fn expectations(&mut self, checks: &[(String, Result<String, String>)]) {
        if checks.is_empty() {
            return;
        }
        let _ = writeln!(self.out, "\n## expectations");
        for (what, r) in checks {
            let _ = match r {
                Ok(_) => writeln!(self.out, "  ok   {what}"),
                Err(got) => writeln!(self.out, "  FAIL {what}: got {}", self.normalise(got)),
            };
        }
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// A refused request as the report shows it: `name: error: message`.
pub fn rejection(e: &Value) -> String {
    let d = &e["detail"];
    let field = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
    format!(
        "{} refused: {} {}",
        e["name"].as_str().unwrap_or("?"),
        field("error"),
        field("message")
    )
    .trim_end()
    .to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn origins_flows_and_lambda_output_are_stable() {
        let scenario: Scenario =
            toml::from_str("name = \"s\"\ndescription = \"d\"\nsteps = []\n[actors]\n").unwrap();
        let mut t = Transcript::new(
            &scenario,
            "http://localhost:4711",
            "http://idp.localhost:4712",
        );
        let events = [
            json!({"service": "cognito", "kind": "flow_step", "flow": "f-9a", "name": "oauth2.authorize",
                "detail": {"redirect": "http://localhost:4711/x", "provider": "Mosaic"}}),
            json!({"service": "idp", "kind": "rejected", "flow": "f-3c", "name": "oidc.authorize",
                "detail": {"error": "bad", "message": "see http://idp.localhost:4712/cis"}}),
            json!({"service": "cognito", "kind": "trigger", "flow": "f-9a", "name": "PreSignUp_ExternalProvider",
                "detail": {"trigger": "PreSignUp", "target": "node:/somewhere/l.js", "duration_ms": 17,
                    "logs": ["LOG\tlinking a", "ERROR\t(node:123) Warning: old\nnode", "STDERR\tnoise"]}}),
        ];
        t.section("1. step", &events, Some("at http://localhost:4711/oauth2"));
        let out = t.finish();
        let want = "# s\nd\n\n## 1. step\n\
            \x20 cognito  flow_step    flow-1  oauth2.authorize  provider=Mosaic\n\
            \x20 idp      rejected     flow-2  oidc.authorize  error=bad message=see http://idp/cis\n\
            \x20 cognito  trigger      flow-1  PreSignUp_ExternalProvider  trigger=PreSignUp\n\
            \x20     | LOG linking a\n\
            \x20 !! at http://cognito/oauth2\n";
        assert_eq!(out, want);
    }
}
