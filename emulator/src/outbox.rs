//! The outbox: every email and SMS the emulated services "sent" (codes, temporary passwords,
//! OTPs), readable through the control plane so tests can do what a user does with their inbox.
//! A delivery fault (`faults`) makes messages arrive late (by the emulator's clock) or never.

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
    /// When the message reaches the inbox (later than `at_millis` under a delivery fault).
    #[serde(skip)]
    due_millis: i64,
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    /// In the inbox at this time (a delivery fault); the fault's label.
    Delayed {
        due_millis: i64,
        fault: String,
    },
    /// Lost (a delivery fault); the fault's label.
    Dropped {
        fault: String,
    },
}

impl Delivery {
    /// The fault that changed the delivery, if any.
    pub fn fault(&self) -> Option<&str> {
        match self {
            Self::Delivered => None,
            Self::Delayed { fault, .. } | Self::Dropped { fault } => Some(fault),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Outbox {
    messages: Arc<Mutex<Vec<Message>>>,
    clock: Arc<dyn Clock>,
    faults: Option<crate::faults::Faults>,
}

impl Outbox {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            messages: Arc::default(),
            clock,
            faults: None,
        }
    }

    /// Deliver under the delivery faults `faults` holds.
    pub fn with_faults(mut self, faults: crate::faults::Faults) -> Self {
        self.faults = Some(faults);
        self
    }

    pub fn send(
        &self,
        channel: Channel,
        destination: &str,
        purpose: &str,
        source: &str,
        code: &str,
        body: String,
    ) -> Delivery {
        let now = self.clock.now_millis();
        let fault = self.faults.as_ref().and_then(|f| f.delivery());
        let delivery = match fault {
            None => Delivery::Delivered,
            Some(f) => {
                let label = crate::faults::Fault::OtpDelivery(f.clone()).label();
                if f.dropped {
                    return Delivery::Dropped { fault: label };
                }
                let delay = i64::try_from(f.delay_secs).unwrap_or(i64::MAX / 2000) * 1000;
                Delivery::Delayed {
                    due_millis: now.saturating_add(delay),
                    fault: label,
                }
            }
        };
        let due_millis = match &delivery {
            Delivery::Delayed { due_millis, .. } => *due_millis,
            _ => now,
        };
        let mut messages = self.messages.lock().unwrap_or_else(|p| p.into_inner());
        let seq = messages.len() as u64 + 1;
        messages.push(Message {
            seq,
            at_millis: now,
            channel,
            destination: destination.to_owned(),
            purpose: purpose.to_owned(),
            source: source.to_owned(),
            code: code.to_owned(),
            body,
            due_millis,
        });
        delivery
    }

    /// Messages in the inbox, optionally only those sent to `destination`, oldest first.
    pub fn list(&self, destination: Option<&str>) -> Vec<Message> {
        let now = self.clock.now_millis();
        let messages = self.messages.lock().unwrap_or_else(|p| p.into_inner());
        messages
            .iter()
            .filter(|m| m.due_millis <= now)
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
