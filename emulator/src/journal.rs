//! The event journal: every operation, rejection and flow step, as typed events with a flow id.
//!
//! Kept in memory, bounded (oldest events are dropped first), and cleared by a reset: it is an
//! observation tool for tests and scenario transcripts, not state the emulated services need.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::Value;

use crate::clock::Clock;

/// Which emulated service an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Cognito,
    Idp,
    Control,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A JSON API operation succeeded.
    ApiCall,
    /// A request was refused; `detail` carries the error name and message.
    Rejected,
    /// A step of a browser or OAuth flow.
    FlowStep,
    /// A Lambda trigger was invoked; `detail` carries its input, answer and logs.
    Trigger,
    /// A message (code, temporary password, OTP) was put in the outbox.
    MessageSent,
    /// Emulator administration (reset, config load).
    Admin,
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub seq: u64,
    pub at_millis: i64,
    pub service: Service,
    pub kind: EventKind,
    /// The operation or step name, e.g. `AdminLinkProviderForUser` or `oauth2.authorize`.
    pub name: String,
    /// Correlates the events of one flow (a hosted-UI login, a request id for API calls).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub detail: Value,
}

/// A query over the journal (all fields optional, combined with AND).
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct Query {
    pub flow: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub service: Option<String>,
    pub after: Option<u64>,
    pub limit: Option<usize>,
}

#[derive(Debug)]
struct Inner {
    next_seq: u64,
    events: VecDeque<Event>,
}

#[derive(Debug, Clone)]
pub struct Journal {
    inner: Arc<Mutex<Inner>>,
    clock: Arc<dyn Clock>,
    capacity: usize,
}

impl Journal {
    pub fn new(clock: Arc<dyn Clock>, capacity: usize) -> Self {
        let inner = Inner {
            next_seq: 1,
            events: VecDeque::new(),
        };
        Self {
            inner: Arc::new(Mutex::new(inner)),
            clock,
            capacity: capacity.max(1),
        }
    }

    pub fn record(
        &self,
        service: Service,
        kind: EventKind,
        name: &str,
        flow: Option<&str>,
        detail: Value,
    ) -> u64 {
        let at_millis = self.clock.now_millis();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let seq = inner.next_seq;
        inner.next_seq += 1;
        if inner.events.len() == self.capacity {
            inner.events.pop_front();
        }
        let flow = flow.map(str::to_owned);
        inner.events.push_back(Event {
            seq,
            at_millis,
            service,
            kind,
            name: name.to_owned(),
            flow,
            detail,
        });
        seq
    }

    pub fn query(&self, q: &Query) -> Vec<Event> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let matches = |e: &&Event| {
            q.after.is_none_or(|a| e.seq > a)
                && q.flow
                    .as_deref()
                    .is_none_or(|f| e.flow.as_deref() == Some(f))
                && q.name.as_deref().is_none_or(|n| e.name == n)
                && q.kind.as_deref().is_none_or(|k| json_name(&e.kind) == k)
                && q.service
                    .as_deref()
                    .is_none_or(|s| json_name(&e.service) == s)
        };
        let limit = q.limit.unwrap_or(usize::MAX);
        inner
            .events
            .iter()
            .filter(matches)
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.events.clear();
    }
}

fn json_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use serde_json::json;

    fn journal(capacity: usize) -> Journal {
        Journal::new(Arc::new(ManualClock::new(0)), capacity)
    }

    #[test]
    fn query_filters_by_flow_kind_and_name() {
        let j = journal(10);
        j.record(
            Service::Cognito,
            EventKind::ApiCall,
            "ListUsers",
            Some("f1"),
            json!({}),
        );
        j.record(
            Service::Cognito,
            EventKind::Rejected,
            "AdminLinkProviderForUser",
            Some("f1"),
            json!({}),
        );
        j.record(
            Service::Idp,
            EventKind::FlowStep,
            "otp.sent",
            Some("f2"),
            Value::Null,
        );
        let q = Query {
            flow: Some("f1".into()),
            ..Query::default()
        };
        assert_eq!(j.query(&q).len(), 2);
        let q = Query {
            kind: Some("rejected".into()),
            ..Query::default()
        };
        assert_eq!(j.query(&q)[0].name, "AdminLinkProviderForUser");
        let q = Query {
            after: Some(2),
            ..Query::default()
        };
        assert_eq!(j.query(&q)[0].name, "otp.sent");
    }

    #[test]
    fn oldest_events_are_dropped_at_capacity() {
        let j = journal(2);
        for name in ["a", "b", "c"] {
            j.record(Service::Control, EventKind::Admin, name, None, Value::Null);
        }
        let names: Vec<_> = j
            .query(&Query::default())
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["b", "c"]);
    }
}
