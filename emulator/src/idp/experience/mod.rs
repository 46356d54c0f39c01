//! The hosted experience: a state machine per interaction (identifier -> OTP -> passkey
//! registration, or identifier -> passkey login) behind JSON endpoints the hosted page and
//! browserless clients call alike. `flow.rs` holds the logic, `ceremony.rs` the WebAuthn
//! steps, `http.rs` the handlers.

pub mod ceremony;
pub mod flow;
pub mod http;
