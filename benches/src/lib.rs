//! Shared helpers for the criterion benches: the captured ceremonies they replay.

pub mod ceremony;

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// One ceremony pair captured from Chromium's virtual authenticator
/// (`fixtures/webauthn/chromium/<conveyance>/`): the JSON texts a relying party receives.
#[derive(Debug, Clone)]
pub struct Capture {
    pub origin: String,
    pub rp_id: String,
    pub registration_options: String,
    pub registration_response: String,
    pub authentication_options: String,
    pub authentication_response: String,
}

/// The repository's `fixtures/webauthn` folder.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/webauthn")
}

fn read(path: PathBuf) -> Result<String, String> {
    std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Loads the Chromium capture for `conveyance` (`none` or `direct`).
pub fn chromium(conveyance: &str) -> Result<Capture, String> {
    let dir = fixtures().join("chromium");
    let meta: serde_json::Value =
        serde_json::from_str(&read(dir.join("capture.json"))?).map_err(|e| e.to_string())?;
    let text = |key: &str| {
        meta[key]
            .as_str()
            .map(str::to_owned)
            .ok_or(format!("capture.json: {key}"))
    };
    let folder = dir.join(conveyance);
    Ok(Capture {
        origin: text("origin")?,
        rp_id: text("rp_id")?,
        registration_options: read(folder.join("registration-options.json"))?,
        registration_response: read(folder.join("registration-response.json"))?,
        authentication_options: read(folder.join("authentication-options.json"))?,
        authentication_response: read(folder.join("authentication-response.json"))?,
    })
}

/// Decodes a base64url string field at `path` (e.g. `["response", "signature"]`) of a JSON text.
pub fn b64_field(json: &str, path: &[&str]) -> Result<Vec<u8>, String> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let field = path.iter().fold(&value, |v, key| &v[key]);
    let text = field
        .as_str()
        .ok_or_else(|| format!("{path:?} is not a string"))?;
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|e| e.to_string())
}
