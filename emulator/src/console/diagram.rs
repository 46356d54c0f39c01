//! Flows as sequence diagrams (pure): the journal's events grouped into flows (a Cognito flow
//! with the IdP interaction its `state` started), and each event an arrow between the
//! lifelines app, Cognito, IdP and Lambda, as a scenario transcript reads them.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde::Serialize;
use serde_json::Value;

use crate::journal::{Event, EventKind};

/// One arrow: from and to are lifelines, numbered left to right: the app (0), the user pool
/// (1), the IdP (2) and the Lambda (3).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Arrow {
    pub seq: u64,
    pub from: usize,
    pub to: usize,
    pub name: String,
    pub kind: &'static str,
    pub rejected: bool,
    /// The event's detail, pretty-printed (opened on click).
    pub detail: String,
    /// A short summary: the error, fault or user, when there is one.
    pub note: String,
}

/// A flow as the journal list shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FlowSummary {
    pub id: String,
    pub first_seq: u64,
    pub at_millis: i64,
    pub first: String,
    pub events: usize,
    pub rejected: bool,
    /// The IdP interactions merged into it.
    pub linked: Vec<String>,
}

/// The Cognito flow an IdP authorization request came from: the flow id in Cognito's `state`
/// (`base64url(pool \n flow).mac`). Display only: nothing is trusted from it.
fn cognito_flow_of(e: &Event) -> Option<String> {
    if e.service.name() != "idp" || e.name != "oidc.authorize" {
        return None;
    }
    let state = e.detail.get("state")?.as_str()?;
    let payload = B64URL.decode(state.split_once('.')?.0).ok()?;
    let text = String::from_utf8(payload).ok()?;
    text.split_once('\n').map(|(_, flow)| flow.to_owned())
}

/// Each flow id mapped to the flow it is shown under (an IdP interaction under its Cognito flow).
fn owners(events: &[Event]) -> BTreeMap<String, String> {
    let mut owner = BTreeMap::new();
    for e in events {
        if let (Some(flow), Some(parent)) = (&e.flow, cognito_flow_of(e)) {
            owner.insert(flow.clone(), parent);
        }
    }
    owner
}

/// The flows, newest first.
pub fn flows(events: &[Event]) -> Vec<FlowSummary> {
    let owner = owners(events);
    let mut by_id: BTreeMap<String, FlowSummary> = BTreeMap::new();
    for e in events {
        let Some(flow) = &e.flow else { continue };
        let id = owner.get(flow).unwrap_or(flow);
        let s = by_id.entry(id.clone()).or_insert_with(|| FlowSummary {
            id: id.clone(),
            first_seq: e.seq,
            at_millis: e.at_millis,
            first: e.name.clone(),
            events: 0,
            rejected: false,
            linked: Vec::new(),
        });
        s.events += 1;
        s.rejected |= e.kind == EventKind::Rejected;
        if flow != id && !s.linked.contains(flow) {
            s.linked.push(flow.clone());
        }
    }
    let mut out: Vec<FlowSummary> = by_id.into_values().collect();
    out.sort_by_key(|f| std::cmp::Reverse(f.first_seq));
    out
}

/// The arrows of flow `id` (with the IdP interactions it started), in order.
pub fn arrows(events: &[Event], id: &str) -> Vec<Arrow> {
    let owner = owners(events);
    events
        .iter()
        .filter(|e| {
            e.flow
                .as_deref()
                .is_some_and(|f| f == id || owner.get(f).is_some_and(|o| o == id))
        })
        .map(arrow)
        .collect()
}

const APP: usize = 0;
const COGNITO: usize = 1;
const IDP: usize = 2;
const LAMBDA: usize = 3;

/// Who called whom: the browser or app calls the hosted pages and the APIs, Cognito calls the
/// IdP's back channel and the Lambda, and codes and messages go back to the app.
fn ends(e: &Event) -> (usize, usize) {
    let n = e.name.as_str();
    // Flows hold the two services' events (control events have no flow).
    let idp = e.service.name() == "idp";
    match e.kind {
        EventKind::Trigger => (COGNITO, LAMBDA),
        EventKind::MessageSent if idp => (IDP, APP),
        EventKind::MessageSent => (COGNITO, APP),
        _ if idp && back_channel(n) => (COGNITO, IDP),
        _ if idp && (n == "oidc.code_issued" || n == "experience.completed") => (IDP, APP),
        _ if idp => (APP, IDP),
        _ if n.starts_with("federation.jwks") => (COGNITO, IDP),
        _ if n == "federation.redirect_to_idp" || n.ends_with("code_issued") => (COGNITO, APP),
        _ if n == "federation.id_token_valid" || n.ends_with("user_created") => (COGNITO, COGNITO),
        _ => (APP, COGNITO),
    }
}

/// The IdP endpoints Cognito's server calls (not the browser).
fn back_channel(name: &str) -> bool {
    matches!(
        name,
        "oidc.tokens_issued" | "oidc.userinfo" | "oidc.jwks" | "oidc.token" | "fault.injected"
    )
}

fn arrow(e: &Event) -> Arrow {
    let (from, to) = ends(e);
    let d = &e.detail;
    let pick = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_owned);
    let note = pick("fault")
        .or_else(|| pick("error_description"))
        .or_else(|| pick("message"))
        .or_else(|| pick("error"))
        .or_else(|| pick("username"))
        .or_else(|| pick("destination"))
        .unwrap_or_default();
    Arrow {
        seq: e.seq,
        from,
        to,
        name: e.name.clone(),
        kind: e.kind.name(),
        rejected: e.kind == EventKind::Rejected,
        detail: serde_json::to_string_pretty(d).unwrap_or_default(),
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Service;
    use serde_json::json;

    fn ev(seq: u64, service: Service, kind: EventKind, name: &str, flow: &str, d: Value) -> Event {
        Event {
            seq,
            at_millis: 0,
            service,
            kind,
            name: name.into(),
            flow: Some(flow.into()),
            detail: d,
        }
    }

    #[test]
    fn an_idp_interaction_joins_the_cognito_flow_that_started_it() {
        let state = format!("{}.mac", B64URL.encode("us-east-1_X\nc-flow"));
        let c: Service = serde_json::from_value(json!("cognito")).unwrap();
        let i: Service = serde_json::from_value(json!("idp")).unwrap();
        let events = [
            ev(
                1,
                c,
                EventKind::FlowStep,
                "federation.redirect_to_idp",
                "c-flow",
                json!({}),
            ),
            ev(
                2,
                i,
                EventKind::FlowStep,
                "oidc.authorize",
                "ix",
                json!({"state": state}),
            ),
            ev(
                3,
                i,
                EventKind::MessageSent,
                "otp.sent",
                "ix",
                json!({"destination": "a@x"}),
            ),
            ev(
                4,
                i,
                EventKind::FlowStep,
                "oidc.tokens_issued",
                "ix",
                json!({}),
            ),
            ev(
                5,
                c,
                EventKind::Trigger,
                "PreSignUp_ExternalProvider",
                "c-flow",
                json!({}),
            ),
            ev(
                6,
                c,
                EventKind::Rejected,
                "federation.idpresponse",
                "c-flow",
                json!({"error": "invalid_request", "faults": ["x"]}),
            ),
            ev(7, c, EventKind::ApiCall, "ListUsers", "other", json!({})),
        ];
        let f = flows(&events);
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].id.as_str(), f[0].events), ("other", 1));
        assert_eq!(
            (f[1].id.as_str(), f[1].events, f[1].rejected),
            ("c-flow", 6, true)
        );
        assert_eq!(f[1].linked, ["ix"]);
        let a = arrows(&events, "c-flow");
        let ends: Vec<(usize, usize)> = a.iter().map(|a| (a.from, a.to)).collect();
        assert_eq!(ends, [(1, 0), (0, 2), (2, 0), (1, 2), (1, 3), (0, 1)]);
        assert_eq!(a[2].note, "a@x");
        assert!(a[5].rejected && a[5].note == "invalid_request");
    }
}
