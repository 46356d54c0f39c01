//! Fault injection: the failures real deployments have (an IdP endpoint down, slow or
//! answering garbage, its signing key rotated, a slow or failing Lambda, a lost or late OTP,
//! clocks that disagree), set through the control plane (`/_emulator/faults`, `http.rs`) and
//! read where each one applies: the IdP's endpoints (`http.rs`'s layer), its signing key, the
//! trigger invoker, the outbox and each service's clock. Clearing them restores normal
//! behaviour; a reset clears them too.

pub mod http;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, SkewedClock};

/// The longest delay a fault may add (a request, a trigger attempt), in milliseconds.
pub const MAX_DELAY_MS: u64 = 120_000;

/// One fault, as `POST /_emulator/faults` takes it: `{"fault": "<kind>", ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum Fault {
    /// An IdP endpoint that Cognito calls fails, is slow, or answers a malformed body.
    IdpEndpoint(EndpointFault),
    /// The IdP signs ID tokens with a new key.
    IdpKeyRotated(KeyFault),
    /// A Lambda trigger is slow (each attempt), or throws.
    Trigger(TriggerFault),
    /// Messages (OTPs, codes) arrive late, or never.
    OtpDelivery(DeliveryFault),
    /// Each service's clock moved by an offset: both the same to advance time, different to
    /// skew Cognito and the IdP.
    Clock(ClockFault),
}

/// The IdP endpoints Cognito calls during federation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    Token,
    Userinfo,
    Jwks,
}

impl Endpoint {
    /// The endpoint a request path of the IdP's listener is.
    pub fn of_path(path: &str) -> Option<Self> {
        match path {
            "/cis/oidc/token" => Some(Self::Token),
            "/cis/oidc/me" => Some(Self::Userinfo),
            "/cis/oidc/jwks" => Some(Self::Jwks),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Userinfo => "userinfo",
            Self::Jwks => "jwks",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointFault {
    pub endpoint: Endpoint,
    /// Answer this status instead (with an OAuth error body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The OAuth `error` of that body (default: `server_error` for 5xx, else `invalid_request`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Wait this long before answering.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delay_ms: u64,
    /// Answer 200 with a body that is not JSON.
    #[serde(default, skip_serializing_if = "is_false")]
    pub malformed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFault {
    /// Whether the JWKS publishes the new key (a proper rotation) or only the old one.
    #[serde(default)]
    pub published: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerFault {
    /// The trigger as a pool's `LambdaConfig` names it, e.g. `PreSignUp`.
    pub trigger: String,
    /// Each attempt takes this long first (beyond the trigger timeout: the attempt times out).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delay_ms: u64,
    /// The handler throws this message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryFault {
    /// Messages reach the outbox this many seconds (of the emulator's clock) after sending.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delay_secs: u64,
    /// Messages are lost.
    #[serde(default, skip_serializing_if = "is_false")]
    pub dropped: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockFault {
    #[serde(default)]
    pub cognito_secs: i64,
    #[serde(default)]
    pub idp_secs: i64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Triggers a pool's `LambdaConfig` can name.
const TRIGGERS: &[&str] = &[
    "PreSignUp",
    "PostConfirmation",
    "PreAuthentication",
    "PostAuthentication",
    "PreTokenGeneration",
    "DefineAuthChallenge",
    "CreateAuthChallenge",
    "VerifyAuthChallengeResponse",
    "CustomMessage",
    "UserMigration",
];

/// A day: the most a clock fault moves a clock.
const MAX_SKEW_SECS: i64 = 86_400 * 366;

impl Fault {
    /// Where the fault applies: setting a fault replaces the one in the same slot.
    pub fn slot(&self) -> String {
        match self {
            Self::IdpEndpoint(f) => format!("idp_endpoint:{}", f.endpoint.name()),
            Self::IdpKeyRotated(_) => "idp_key_rotated".into(),
            Self::Trigger(f) => format!("trigger:{}", f.trigger),
            Self::OtpDelivery(_) => "otp_delivery".into(),
            Self::Clock(_) => "clock".into(),
        }
    }

    /// The fault in a few words, as the journal and the console name it.
    pub fn label(&self) -> String {
        match self {
            Self::IdpEndpoint(f) => {
                let mut parts = Vec::new();
                if let Some(s) = f.status {
                    parts.push(format!("status {s}"));
                }
                if f.malformed {
                    parts.push("malformed body".into());
                }
                if f.delay_ms > 0 {
                    parts.push(format!("{} ms delay", f.delay_ms));
                }
                format!("IdP {} endpoint: {}", f.endpoint.name(), parts.join(", "))
            }
            Self::IdpKeyRotated(k) if k.published => "IdP signing key rotated".into(),
            Self::IdpKeyRotated(_) => "IdP signing key rotated (JWKS not updated)".into(),
            Self::Trigger(f) => match (&f.error, f.delay_ms) {
                (Some(e), 0) => format!("{} trigger fails: {e}", f.trigger),
                (Some(e), d) => format!("{} trigger slow ({d} ms) and fails: {e}", f.trigger),
                (None, d) => format!("{} trigger slow ({d} ms per attempt)", f.trigger),
            },
            Self::OtpDelivery(d) if d.dropped => "OTP delivery dropped".into(),
            Self::OtpDelivery(d) => format!("OTP delivery delayed {} s", d.delay_secs),
            Self::Clock(c) => format!(
                "clock: Cognito {:+} s, IdP {:+} s",
                c.cognito_secs, c.idp_secs
            ),
        }
    }

    /// Refuses a fault that would do nothing or cannot be applied.
    pub fn validate(&self) -> Result<(), String> {
        let delay = |ms: u64| {
            if ms > MAX_DELAY_MS {
                Err(format!("delay_ms must be at most {MAX_DELAY_MS}"))
            } else {
                Ok(())
            }
        };
        match self {
            Self::IdpEndpoint(f) => {
                delay(f.delay_ms)?;
                if let Some(s) = f.status.filter(|s| !(400..=599).contains(s)) {
                    return Err(format!("status {s} is not an error status (400-599)"));
                }
                if f.status.is_some() && f.malformed {
                    return Err("status and malformed exclude each other".into());
                }
                if f.status.is_none() && !f.malformed && f.delay_ms == 0 {
                    return Err("an idp_endpoint fault needs status, malformed or delay_ms".into());
                }
                Ok(())
            }
            Self::IdpKeyRotated(_) => Ok(()),
            Self::Trigger(f) => {
                delay(f.delay_ms)?;
                if !TRIGGERS.contains(&f.trigger.as_str()) {
                    return Err(format!(
                        "unknown trigger {:?} (one of {})",
                        f.trigger,
                        TRIGGERS.join(", ")
                    ));
                }
                if f.error.is_none() && f.delay_ms == 0 {
                    return Err("a trigger fault needs error or delay_ms".into());
                }
                Ok(())
            }
            Self::OtpDelivery(d) if d.dropped == (d.delay_secs > 0) => {
                Err("an otp_delivery fault needs exactly one of dropped or delay_secs".into())
            }
            Self::OtpDelivery(_) => Ok(()),
            Self::Clock(c) if c.cognito_secs.abs().max(c.idp_secs.abs()) > MAX_SKEW_SECS => {
                Err(format!("a clock may move at most {MAX_SKEW_SECS} s"))
            }
            Self::Clock(_) => Ok(()),
        }
    }
}

/// Which service's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Cognito,
    Idp,
}

/// The active faults, shared by both services. `std::sync::Mutex`: never held across `.await`.
#[derive(Debug, Clone)]
pub struct Faults {
    active: Arc<Mutex<BTreeMap<String, Fault>>>,
    base: Arc<dyn Clock>,
    cognito_offset: Arc<AtomicI64>,
    idp_offset: Arc<AtomicI64>,
}

impl Faults {
    /// No faults; `base` is the clock both services' clocks are offset from.
    pub fn new(base: Arc<dyn Clock>) -> Self {
        Self {
            active: Arc::default(),
            base,
            cognito_offset: Arc::default(),
            idp_offset: Arc::default(),
        }
    }

    /// The clock a service reads: the base, moved by a clock fault.
    pub fn clock(&self, side: Side) -> Arc<dyn Clock> {
        let offset = match side {
            Side::Cognito => &self.cognito_offset,
            Side::Idp => &self.idp_offset,
        };
        Arc::new(SkewedClock::new(self.base.clone(), offset.clone()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Fault>> {
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets `fault` (after `validate`), replacing the one in its slot.
    pub fn set(&self, fault: Fault) -> Result<(), String> {
        fault.validate()?;
        if let Fault::Clock(c) = &fault {
            self.cognito_offset
                .store(c.cognito_secs * 1000, Ordering::SeqCst);
            self.idp_offset.store(c.idp_secs * 1000, Ordering::SeqCst);
        }
        self.lock().insert(fault.slot(), fault);
        Ok(())
    }

    /// Clears every fault; returns the ones that were set.
    pub fn clear(&self) -> Vec<Fault> {
        self.cognito_offset.store(0, Ordering::SeqCst);
        self.idp_offset.store(0, Ordering::SeqCst);
        std::mem::take(&mut *self.lock()).into_values().collect()
    }

    pub fn list(&self) -> Vec<Fault> {
        self.lock().values().cloned().collect()
    }

    /// The labels of the active faults (named in the journal's refusals).
    pub fn labels(&self) -> Vec<String> {
        self.lock().values().map(Fault::label).collect()
    }

    pub fn endpoint(&self, endpoint: Endpoint) -> Option<EndpointFault> {
        match self
            .lock()
            .get(&format!("idp_endpoint:{}", endpoint.name()))
        {
            Some(Fault::IdpEndpoint(f)) => Some(f.clone()),
            _ => None,
        }
    }

    pub fn trigger(&self, trigger: &str) -> Option<TriggerFault> {
        match self.lock().get(&format!("trigger:{trigger}")) {
            Some(Fault::Trigger(f)) => Some(f.clone()),
            _ => None,
        }
    }

    pub fn delivery(&self) -> Option<DeliveryFault> {
        match self.lock().get("otp_delivery") {
            Some(Fault::OtpDelivery(f)) => Some(f.clone()),
            _ => None,
        }
    }

    pub fn key_rotated(&self) -> Option<KeyFault> {
        match self.lock().get("idp_key_rotated") {
            Some(Fault::IdpKeyRotated(f)) => Some(f.clone()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use serde_json::json;

    /// Parse and validate `input`: `Ok(label)` or the error, which must contain `expect`.
    fn check(input: serde_json::Value, expect: Result<&str, &str>) {
        let got = serde_json::from_value::<Fault>(input.clone())
            .map_err(|e| e.to_string())
            .and_then(|f| f.validate().map(|()| f.label()));
        match (got, expect) {
            (Ok(l), Ok(want)) => assert_eq!(l, want, "{input}"),
            (Err(e), Err(want)) => assert!(e.contains(want), "{input}: {e}"),
            (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn faults_parse_validate_and_name_themselves() {
        let ok = [
            (
                json!({"fault": "idp_endpoint", "endpoint": "token", "status": 503}),
                "IdP token endpoint: status 503",
            ),
            (
                json!({"fault": "idp_endpoint", "endpoint": "jwks", "malformed": true, "delay_ms": 5}),
                "IdP jwks endpoint: malformed body, 5 ms delay",
            ),
            (
                json!({"fault": "idp_key_rotated"}),
                "IdP signing key rotated (JWKS not updated)",
            ),
            (
                json!({"fault": "trigger", "trigger": "PreSignUp", "error": "boom"}),
                "PreSignUp trigger fails: boom",
            ),
            (
                json!({"fault": "otp_delivery", "dropped": true}),
                "OTP delivery dropped",
            ),
            (
                json!({"fault": "clock", "idp_secs": -7200}),
                "clock: Cognito +0 s, IdP -7200 s",
            ),
        ];
        for (input, label) in ok {
            check(input, Ok(label));
        }
        let bad = [
            (
                json!({"fault": "idp_endpoint", "endpoint": "token"}),
                "needs",
            ),
            (
                json!({"fault": "idp_endpoint", "endpoint": "token", "status": 200}),
                "not an error status",
            ),
            (
                json!({"fault": "idp_endpoint", "endpoint": "auth"}),
                "unknown variant",
            ),
            (
                json!({"fault": "idp_endpoint", "endpoint": "token", "stauts": 500}),
                "unknown field",
            ),
            (
                json!({"fault": "trigger", "trigger": "PreSignIn", "error": "x"}),
                "unknown trigger",
            ),
            (
                json!({"fault": "trigger", "trigger": "PreSignUp", "delay_ms": 999_999}),
                "at most",
            ),
            (json!({"fault": "otp_delivery"}), "exactly one"),
            (json!({"fault": "meteor"}), "unknown variant"),
            (json!({"endpoint": "token"}), "missing field `fault`"),
        ];
        for (input, want) in bad {
            check(input, Err(want));
        }
    }

    #[test]
    fn a_fault_replaces_its_slot_and_clearing_restores_the_clocks() {
        let base = Arc::new(ManualClock::new(1_000_000));
        let faults = Faults::new(base);
        let (cognito, idp) = (faults.clock(Side::Cognito), faults.clock(Side::Idp));
        let clock = |c: i64, i: i64| {
            Fault::Clock(ClockFault {
                cognito_secs: c,
                idp_secs: i,
            })
        };
        faults.set(clock(60, 0)).unwrap();
        faults.set(clock(10, -100)).unwrap();
        assert_eq!(faults.list().len(), 1);
        assert_eq!(
            (cognito.now_millis(), idp.now_millis()),
            (1_010_000, 900_000)
        );
        assert_eq!(faults.clear().len(), 1);
        assert_eq!(
            (cognito.now_millis(), idp.now_millis()),
            (1_000_000, 1_000_000)
        );
        assert!(faults.list().is_empty());
    }
}
