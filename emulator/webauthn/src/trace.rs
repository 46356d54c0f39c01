//! A record of the checks a ceremony performed, for the CLI; free when switched off.

use serde::Serialize;

/// One check that passed, with what it compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub check: &'static str,
    pub detail: String,
}

/// Collects [`Step`]s when enabled; a disabled trace never formats or allocates.
#[derive(Debug, Default)]
pub struct Trace {
    steps: Option<Vec<Step>>,
}

impl Trace {
    /// A trace that records every passed check.
    pub fn enabled() -> Self {
        Self {
            steps: Some(Vec::with_capacity(32)),
        }
    }

    /// A trace that records nothing (the fast path used by the emulator).
    pub fn disabled() -> Self {
        Self { steps: None }
    }

    /// Records that `check` passed; `detail` is only evaluated when the trace is enabled.
    #[inline]
    pub fn pass(&mut self, check: &'static str, detail: impl FnOnce() -> String) {
        if let Some(steps) = &mut self.steps {
            steps.push(Step {
                check,
                detail: detail(),
            });
        }
    }

    /// The recorded steps, in order.
    pub fn steps(&self) -> &[Step] {
        self.steps.as_deref().unwrap_or_default()
    }
}
