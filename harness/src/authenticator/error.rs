//! Errors as a browser raises them from `navigator.credentials.create()` / `.get()`: a
//! `DOMException` name plus the reason a developer needs to fix the call.

use std::fmt;

/// The `DOMException` (or `TypeError`) name a browser would reject the promise with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorName {
    /// The user or the authenticator did not allow the operation (no eligible authenticator,
    /// user cancelled, UV unavailable, no matching credential, storage full).
    NotAllowedError,
    /// An excluded credential is already on the authenticator.
    InvalidStateError,
    /// The RP ID is not valid for the origin, or the origin is not a secure context.
    SecurityError,
    /// None of the requested algorithms is supported.
    NotSupportedError,
    /// A base64url field could not be decoded.
    EncodingError,
    /// The options are malformed (missing member, wrong type, bad length).
    TypeError,
}

impl ErrorName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAllowedError => "NotAllowedError",
            Self::InvalidStateError => "InvalidStateError",
            Self::SecurityError => "SecurityError",
            Self::NotSupportedError => "NotSupportedError",
            Self::EncodingError => "EncodingError",
            Self::TypeError => "TypeError",
        }
    }
}

/// A rejected ceremony: the browser's error name and the reason it was raised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct WebAuthnError {
    pub name: ErrorName,
    pub reason: String,
}

impl fmt::Display for ErrorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl WebAuthnError {
    pub fn new(name: ErrorName, reason: impl Into<String>) -> Self {
        Self {
            name,
            reason: reason.into(),
        }
    }
    pub fn not_allowed(reason: impl Into<String>) -> Self {
        Self::new(ErrorName::NotAllowedError, reason)
    }
    pub fn invalid_state(reason: impl Into<String>) -> Self {
        Self::new(ErrorName::InvalidStateError, reason)
    }
    pub fn security(reason: impl Into<String>) -> Self {
        Self::new(ErrorName::SecurityError, reason)
    }
    pub fn not_supported(reason: impl Into<String>) -> Self {
        Self::new(ErrorName::NotSupportedError, reason)
    }
    pub fn encoding(reason: impl Into<String>) -> Self {
        Self::new(ErrorName::EncodingError, reason)
    }
    pub fn type_error(reason: impl Into<String>) -> Self {
        Self::new(ErrorName::TypeError, reason)
    }
}
