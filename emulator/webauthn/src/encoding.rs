//! Byte encodings at the edge: base64url (no padding, as WebAuthn JSON uses) and hex for messages.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::Error;

/// base64url without padding, as `PublicKeyCredential.toJSON()` writes it.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes a base64url field; trailing `=` padding is tolerated, other alphabets are not.
pub fn unb64(field: &'static str, text: &str) -> Result<Vec<u8>, Error> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|e| Error::Base64Malformed {
            field,
            detail: e.to_string(),
        })
}

/// Lower-case hex, for error messages and the CLI.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// An AAGUID in its usual UUID spelling.
pub fn uuid(aaguid: &[u8; 16]) -> String {
    let h = hex(aaguid);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// SHA-256 with the verification backend (aws-lc).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}
