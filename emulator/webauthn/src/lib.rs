//! WebAuthn relying-party verifier: options, registration and authentication ceremonies.
//!
//! Pure protocol code (no HTTP, no clock, no global RNG): `start_*` returns the JSON options for
//! the browser plus a serialisable state the server keeps; `finish_*` consumes it, taking `now`
//! and a [`ChallengeRegistry`] so challenges are single-use and expire. Every failed check is
//! its own [`Error`] variant. Signatures are verified with aws-lc on keys parsed once at
//! registration ([`CredentialPublicKey`]).
//!
//! **Architecture Invariant:** this crate shares no code with the harness's virtual
//! authenticators; each is checked against outside peers.

mod attestation;
mod auth_data;
mod authentication;
mod cbor;
mod challenge;
pub mod cli;
mod client_data;
mod config;
mod cose;
mod credential;
pub mod encoding;
mod error;
pub mod json;
mod registration;
mod trace;

pub use attestation::{Attestation, AttestationType};
pub use authentication::{AuthenticationOutcome, AuthenticationRequest, AuthenticationState};
pub use challenge::ChallengeRegistry;
pub use config::{AttestationPolicy, CounterPolicy, RelyingParty, RpConfig, UserVerification};
pub use cose::{Alg, CredentialPublicKey};
pub use credential::CredentialRecord;
pub use error::{ConfigError, Error};
pub use registration::{MAX_CREDENTIAL_ID_LEN, RegistrationRequest, RegistrationState};
pub use trace::{Step, Trace};
