//! The event journal: every operation, rejection and flow step, as typed events with a flow id.
//!
//! Kept in memory, bounded by a number of events and by bytes (oldest events are dropped
//! first), and cleared by a reset: it is an observation tool for tests and scenario
//! transcripts, not state the emulated services need. Long strings and lists in an event's
//! detail (a 1 MiB request body) are kept as their beginning and their size. Optionally also
//! kept on disk (`file.rs`), so a flow can be read after a restart.

mod file;
pub mod tail;

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::Clock;

/// Which emulated service an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Cognito,
    Idp,
    Control,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

impl Service {
    /// The wire name (`cognito`, `idp`, `control`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Cognito => "cognito",
            Self::Idp => "idp",
            Self::Control => "control",
        }
    }
}

impl EventKind {
    /// The wire name (`api_call`, `rejected`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::ApiCall => "api_call",
            Self::Rejected => "rejected",
            Self::FlowStep => "flow_step",
            Self::Trigger => "trigger",
            Self::MessageSent => "message_sent",
            Self::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// Long poll: when nothing matches yet, wait up to this many seconds (at most
    /// [`MAX_WAIT_SECS`]) for an event that does.
    pub wait: Option<u64>,
}

/// The longest a journal query waits for a matching event.
pub const MAX_WAIT_SECS: u64 = 60;

/// The journal's default bound in bytes (the JSON size of the events it keeps).
pub const DEFAULT_MAX_BYTES: usize = 64 << 20;
/// Strings longer than this (in bytes) are kept as their first `KEPT` bytes and their length.
const LONG: usize = 2048;
const KEPT: usize = 256;
/// Lists longer than this keep their first items and a count.
const MAX_ITEMS: usize = 100;

#[derive(Debug)]
struct Inner {
    next_seq: u64,
    /// Each event with its size in bytes.
    events: VecDeque<(Event, usize)>,
    bytes: usize,
}

#[derive(Debug, Clone)]
pub struct Journal {
    inner: Arc<Mutex<Inner>>,
    clock: Arc<dyn Clock>,
    capacity: usize,
    max_bytes: usize,
    /// The events on disk too, when persisted (written under `inner`'s lock, in order).
    file: Option<Arc<Mutex<file::JournalFile>>>,
    /// The last recorded sequence number: long polls wait on it.
    changes: Arc<tokio::sync::watch::Sender<u64>>,
    /// Set when the server stops: long polls answer at once, so they do not hold the stop.
    closed: Arc<std::sync::atomic::AtomicBool>,
}

/// `value` with long strings and lists cut down to a summary.
fn summarise(value: Value) -> Value {
    match value {
        Value::String(s) if s.len() > LONG => {
            let mut end = KEPT;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            Value::String(format!("{}… ({} bytes)", &s[..end], s.len()))
        }
        Value::Array(items) if items.len() > MAX_ITEMS => {
            let n = items.len();
            let mut kept: Vec<Value> = items.into_iter().take(MAX_ITEMS).map(summarise).collect();
            kept.push(Value::String(format!("… ({n} items)")));
            Value::Array(kept)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(summarise).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, summarise(v))).collect())
        }
        other => other,
    }
}

impl Journal {
    pub fn new(clock: Arc<dyn Clock>, capacity: usize) -> Self {
        let inner = Inner {
            next_seq: 1,
            events: VecDeque::new(),
            bytes: 0,
        };
        Self {
            inner: Arc::new(Mutex::new(inner)),
            clock,
            capacity: capacity.max(1),
            max_bytes: DEFAULT_MAX_BYTES,
            file: None,
            changes: Arc::new(tokio::sync::watch::Sender::new(0)),
            closed: Arc::default(),
        }
    }

    /// Keep the events in `path` too, and read back the ones it holds (within the bounds):
    /// a flow recorded before a restart can be read after it.
    pub fn persist_to(mut self, path: &Path) -> std::io::Result<Self> {
        let (mut file, events) = file::JournalFile::open(path)?;
        {
            let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            for e in events {
                let size = event_size(&e.name, e.flow.as_deref(), &e.detail);
                inner.next_seq = inner.next_seq.max(e.seq + 1);
                self.push(&mut inner, e, size);
            }
            file.rewrite(inner.events.iter().map(|(e, _)| e))?;
        }
        self.file = Some(Arc::new(Mutex::new(file)));
        Ok(self)
    }

    /// Adds an event, dropping the oldest ones beyond the bounds.
    fn push(&self, inner: &mut Inner, event: Event, size: usize) {
        while inner.events.len() >= self.capacity
            || (!inner.events.is_empty() && inner.bytes + size > self.max_bytes)
        {
            if let Some((_, gone)) = inner.events.pop_front() {
                inner.bytes -= gone;
            }
        }
        inner.events.push_back((event, size));
        inner.bytes += size;
    }

    /// Appends the event to the file (rewriting the file from memory when it has grown to
    /// twice the bound). A disk error loses the file copy, never the event or the request.
    fn write_through(&self, inner: &Inner, event: &Event) {
        let Some(file) = &self.file else { return };
        let mut file = file.lock().unwrap_or_else(|p| p.into_inner());
        let r = if file.written() > 2 * self.max_bytes {
            file.rewrite(inner.events.iter().map(|(e, _)| e))
        } else {
            file.append(event)
        };
        if let Err(e) = r {
            eprintln!("emulator: writing the journal file: {e}");
        }
    }

    /// Bound the journal by `max_bytes` as well as by its number of events.
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes.max(1);
        self
    }

    /// The bytes the kept events take (their JSON size).
    pub fn bytes(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).bytes
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
        let detail = summarise(detail);
        let size = event_size(name, flow, &detail);
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let seq = inner.next_seq;
        inner.next_seq += 1;
        let flow = flow.map(str::to_owned);
        let event = Event {
            seq,
            at_millis,
            service,
            kind,
            name: name.to_owned(),
            flow,
            detail,
        };
        self.write_through(&inner, &event);
        self.push(&mut inner, event, size);
        drop(inner);
        self.changes.send_replace(seq);
        seq
    }

    /// As [`Journal::query`], but when nothing matches, waits up to `q.wait` seconds for a
    /// matching event (the long poll behind `emulator journal --follow`).
    pub async fn wait_for(&self, q: &Query) -> Vec<Event> {
        let secs = q.wait.unwrap_or(0).min(MAX_WAIT_SECS);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
        let mut changes = self.changes.subscribe();
        loop {
            changes.mark_unchanged();
            let events = self.query(q);
            if !events.is_empty() || self.closed.load(std::sync::atomic::Ordering::SeqCst) {
                return events;
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                _ => return events,
            }
        }
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
            .map(|(e, _)| e)
            .filter(matches)
            .take(limit)
            .cloned()
            .collect()
    }

    /// Ends the long polls in progress and any to come (the server is stopping).
    pub fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        self.changes.send_modify(|_| {});
    }

    /// Forgets every event (a reset), on disk too.
    pub fn clear(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.events.clear();
        inner.bytes = 0;
        if let Some(file) = &self.file {
            let mut file = file.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = file.rewrite(std::iter::empty()) {
                eprintln!("emulator: clearing the journal file: {e}");
            }
        }
    }
}

/// What an event counts against the byte bound: its JSON size, near enough.
fn event_size(name: &str, flow: Option<&str>, detail: &Value) -> usize {
    64 + name.len() + flow.map_or(0, str::len) + detail.to_string().len()
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

    #[test]
    fn long_details_are_summarised_and_bytes_bound_the_journal() {
        let j = journal(1_000).with_max_bytes(20_000);
        let body = "x".repeat(1 << 20);
        for i in 0..200 {
            j.record(
                Service::Cognito,
                EventKind::Rejected,
                "big",
                None,
                json!({"request": {"Body": body, "i": i, "list": vec![1; 500]}}),
            );
        }
        assert!(j.bytes() <= 20_000, "{}", j.bytes());
        let kept = j.query(&Query::default());
        assert!(!kept.is_empty() && kept.len() < 200, "{}", kept.len());
        let last = &kept.last().unwrap().detail["request"];
        assert_eq!(last["i"], 199);
        assert!(last["Body"].as_str().unwrap().ends_with("(1048576 bytes)"));
        assert_eq!(last["list"].as_array().unwrap().len(), MAX_ITEMS + 1);
    }
}
