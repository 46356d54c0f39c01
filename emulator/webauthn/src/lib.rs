//! WebAuthn relying-party verifier: options, registration and authentication ceremonies.
