//! The WebAuthn Level 3 JSON options (`PublicKeyCredentialCreationOptionsJSON`,
//! `PublicKeyCredentialRequestOptionsJSON`) as wire types, and their parsing into the decoded
//! values the ceremonies use, with the errors `parse*OptionsFromJSON` raises.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::error::WebAuthnError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreationJson {
    rp: RpJson,
    user: UserJson,
    challenge: String,
    #[serde(default)]
    pub_key_cred_params: Vec<ParamJson>,
    #[serde(default)]
    exclude_credentials: Vec<DescriptorJson>,
    #[serde(default)]
    authenticator_selection: Option<SelectionJson>,
    #[serde(default)]
    attestation: Option<String>,
    #[serde(default)]
    extensions: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
struct RpJson {
    #[serde(default)]
    id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserJson {
    id: String,
    name: String,
    display_name: String,
}

#[derive(Debug, Deserialize)]
struct ParamJson {
    #[serde(rename = "type")]
    kind: String,
    alg: i64,
}

#[derive(Debug, Deserialize)]
struct DescriptorJson {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SelectionJson {
    #[serde(default)]
    authenticator_attachment: Option<String>,
    #[serde(default)]
    resident_key: Option<String>,
    #[serde(default)]
    require_resident_key: bool,
    #[serde(default)]
    user_verification: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestJson {
    challenge: String,
    #[serde(default)]
    rp_id: Option<String>,
    #[serde(default)]
    allow_credentials: Vec<DescriptorJson>,
    #[serde(default)]
    user_verification: Option<String>,
}

/// `userVerification` as requested by the relying party.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UvRequirement {
    Required,
    Preferred,
    Discouraged,
}

/// `residentKey` after applying the `requireResidentKey` legacy member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResidentKey {
    Required,
    Preferred,
    Discouraged,
}

/// Decoded creation options.
#[derive(Debug, Clone)]
pub struct CreationOptions {
    pub rp_id: Option<String>,
    pub user_id: Vec<u8>,
    pub user_name: String,
    pub user_display_name: String,
    pub challenge: Vec<u8>,
    /// COSE algorithm identifiers of the `public-key` entries, in the RP's order of preference.
    pub algorithms: Vec<i64>,
    pub exclude: Vec<Vec<u8>>,
    pub attachment: Option<String>,
    pub resident_key: ResidentKey,
    pub user_verification: UvRequirement,
    pub attestation: String,
    pub cred_props: bool,
}

/// Decoded request options.
#[derive(Debug, Clone)]
pub struct RequestOptions {
    pub rp_id: Option<String>,
    pub challenge: Vec<u8>,
    pub allow: Vec<Vec<u8>>,
    pub user_verification: UvRequirement,
}

/// Accepts the options object itself or wrapped as `{"publicKey": {...}}`, as servers send it.
fn unwrap_public_key(json: &str) -> Result<serde_json::Value, WebAuthnError> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| WebAuthnError::type_error(format!("options are not JSON: {e}")))?;
    Ok(match value {
        serde_json::Value::Object(mut map) if map.contains_key("publicKey") => {
            map.remove("publicKey").unwrap_or_default()
        }
        other => other,
    })
}

pub(crate) fn b64(field: &str, value: &str) -> Result<Vec<u8>, WebAuthnError> {
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|e| WebAuthnError::encoding(format!("{field} is not base64url: {e}")))
}

fn uv(value: Option<&str>) -> UvRequirement {
    // Unknown enum values are ignored by the IDL dictionary conversion: the default applies.
    match value {
        Some("required") => UvRequirement::Required,
        Some("discouraged") => UvRequirement::Discouraged,
        _ => UvRequirement::Preferred,
    }
}

fn descriptors(field: &str, list: &[DescriptorJson]) -> Result<Vec<Vec<u8>>, WebAuthnError> {
    list.iter()
        .filter(|d| d.kind == "public-key")
        .map(|d| b64(field, &d.id))
        .collect()
}

impl CreationOptions {
    pub fn from_json(json: &str) -> Result<Self, WebAuthnError> {
        let raw: CreationJson = serde_json::from_value(unwrap_public_key(json)?)
            .map_err(|e| WebAuthnError::type_error(format!("creation options: {e}")))?;
        let user_id = b64("user.id", &raw.user.id)?;
        if user_id.is_empty() || user_id.len() > 64 {
            return Err(WebAuthnError::type_error(format!(
                "user.id must be 1 to 64 bytes, got {}",
                user_id.len()
            )));
        }
        let selection = raw.authenticator_selection;
        let resident_key = match selection.as_ref() {
            Some(s) => match s.resident_key.as_deref() {
                Some("required") => ResidentKey::Required,
                Some("preferred") => ResidentKey::Preferred,
                Some("discouraged") => ResidentKey::Discouraged,
                _ if s.require_resident_key => ResidentKey::Required,
                _ => ResidentKey::Discouraged,
            },
            None => ResidentKey::Discouraged,
        };
        // An empty list means "ES256 and RS256" (L3 5.1.3 step 10).
        let algorithms = if raw.pub_key_cred_params.is_empty() {
            vec![-7, -257]
        } else {
            let params = raw.pub_key_cred_params.iter();
            params
                .filter(|p| p.kind == "public-key")
                .map(|p| p.alg)
                .collect()
        };
        let cred_props = raw
            .extensions
            .as_ref()
            .and_then(|e| e.get("credProps"))
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        Ok(Self {
            rp_id: raw.rp.id,
            user_id,
            user_name: raw.user.name,
            user_display_name: raw.user.display_name,
            challenge: b64("challenge", &raw.challenge)?,
            algorithms,
            exclude: descriptors("excludeCredentials.id", &raw.exclude_credentials)?,
            attachment: selection
                .as_ref()
                .and_then(|s| s.authenticator_attachment.clone()),
            resident_key,
            user_verification: uv(selection
                .as_ref()
                .and_then(|s| s.user_verification.as_deref())),
            attestation: raw.attestation.unwrap_or_else(|| "none".to_owned()),
            cred_props,
        })
    }
}

impl RequestOptions {
    pub fn from_json(json: &str) -> Result<Self, WebAuthnError> {
        let raw: RequestJson = serde_json::from_value(unwrap_public_key(json)?)
            .map_err(|e| WebAuthnError::type_error(format!("request options: {e}")))?;
        Ok(Self {
            rp_id: raw.rp_id,
            challenge: b64("challenge", &raw.challenge)?,
            allow: descriptors("allowCredentials.id", &raw.allow_credentials)?,
            user_verification: uv(raw.user_verification.as_deref()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_create(json: &str, expect: Result<(ResidentKey, UvRequirement, Vec<i64>), &str>) {
        let got = CreationOptions::from_json(json)
            .map(|o| (o.resident_key, o.user_verification, o.algorithms))
            .map_err(|e| e.to_string());
        match expect {
            Ok(want) => assert_eq!(got, Ok(want), "{json}"),
            Err(prefix) => {
                let err = got.expect_err(json);
                assert!(
                    err.starts_with(prefix),
                    "{err} does not start with {prefix}"
                );
            }
        }
    }

    #[test]
    fn creation_options_decode() {
        let user = r#""user":{"id":"AQ","name":"a","displayName":"A"}"#;
        check_create(
            &format!(r#"{{"rp":{{}},{user},"challenge":"AA"}}"#),
            Ok((
                ResidentKey::Discouraged,
                UvRequirement::Preferred,
                vec![-7, -257],
            )),
        );
        check_create(
            &format!(
                r#"{{"publicKey":{{"rp":{{"id":"x.org"}},{user},"challenge":"AA",
                "pubKeyCredParams":[{{"type":"public-key","alg":-8}},{{"type":"x","alg":-7}}],
                "authenticatorSelection":{{"requireResidentKey":true,"userVerification":"required"}}}}}}"#
            ),
            Ok((ResidentKey::Required, UvRequirement::Required, vec![-8])),
        );
        check_create(
            &format!(r#"{{"rp":{{}},{user},"challenge":"A*"}}"#),
            Err("EncodingError: challenge"),
        );
        check_create(
            r#"{"rp":{},"user":{"id":"","name":"a","displayName":"A"},"challenge":"AA"}"#,
            Err("TypeError: user.id must be 1 to 64 bytes"),
        );
        check_create(r#"{"rp":{}}"#, Err("TypeError: creation options"));
    }
}
