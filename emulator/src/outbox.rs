//! The outbox: every email and SMS the emulated services "sent" (codes, temporary passwords,
//! OTPs), readable through the control plane so tests can do what a user does with their inbox.

use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::clock::Clock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub seq: u64,
    pub at_millis: i64,
    pub channel: Channel,
    /// The address or phone number the message went to.
    pub destination: String,
    /// What the message is for, e.g. `SignUp`, `ForgotPassword`, `AdminCreateUser`, `otp`.
    pub purpose: String,
    /// The pool id or IdP app the message belongs to.
    pub source: String,
    /// The code or temporary password the message carries.
    pub code: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Outbox {
    messages: Arc<Mutex<Vec<Message>>>,
    clock: Arc<dyn Clock>,
}

impl Outbox {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            messages: Arc::default(),
            clock,
        }
    }

    pub fn send(
        &self,
        channel: Channel,
        destination: &str,
        purpose: &str,
        source: &str,
        code: &str,
        body: String,
    ) {
        let mut messages = self.messages.lock().unwrap_or_else(|p| p.into_inner());
        let seq = messages.len() as u64 + 1;
        messages.push(Message {
            seq,
            at_millis: self.clock.now_millis(),
            channel,
            destination: destination.to_owned(),
            purpose: purpose.to_owned(),
            source: source.to_owned(),
            code: code.to_owned(),
            body,
        });
    }

    /// Messages, optionally only those sent to `destination`, oldest first.
    pub fn list(&self, destination: Option<&str>) -> Vec<Message> {
        let messages = self.messages.lock().unwrap_or_else(|p| p.into_inner());
        messages
            .iter()
            .filter(|m| destination.is_none_or(|d| m.destination == d))
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
