//! The browser's part of the ceremonies (L3 5.1.3 create, 5.1.4 get): options JSON in,
//! origin and RP ID rules (secure context, effective domain, `*.localhost`), clientDataJSON,
//! and the JSON `PublicKeyCredential.toJSON()` produces out.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::VirtualAuthenticator;
use super::attestation;
use super::ctap::{self, GetAssertion, MakeCredential};
use super::error::WebAuthnError;
use super::options::{CreationOptions, RequestOptions};

/// Where the call comes from: the caller's origin and, for an iframe, the cross-origin state,
/// plus extra clientData members (the spec's test vectors add `extraData`).
#[derive(Debug, Clone, Default)]
pub struct ClientContext {
    pub origin: String,
    pub cross_origin: bool,
    pub top_origin: Option<String>,
    /// Members appended to clientDataJSON after the standard ones, in order.
    pub extra_client_data: Vec<(String, Value)>,
    /// The credential id the user picks in the account chooser of `get` (else the first).
    pub pick_credential: Option<Vec<u8>>,
}

impl ClientContext {
    /// A top-level, same-origin call from `origin`.
    pub fn same_origin(origin: &str) -> Self {
        Self {
            origin: origin.to_owned(),
            ..Self::default()
        }
    }
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The effective domain of a secure-context origin, as Chromium decides it.
pub fn effective_domain(origin: &str) -> Result<String, WebAuthnError> {
    let url = url::Url::parse(origin)
        .map_err(|e| WebAuthnError::security(format!("origin {origin:?} is not a URL: {e}")))?;
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_ascii_lowercase(),
        Some(_) => {
            return Err(WebAuthnError::security(format!(
                "origin {origin:?} has an IP address host; browsers accept no RP ID for it"
            )));
        }
        None => {
            return Err(WebAuthnError::security(format!(
                "origin {origin:?} has no host"
            )));
        }
    };
    let localhost = host == "localhost" || host.ends_with(".localhost");
    match url.scheme() {
        "https" => Ok(host),
        "http" if localhost => Ok(host),
        scheme => Err(WebAuthnError::security(format!(
            "origin {origin:?} is not a secure context (scheme {scheme}, host {host})"
        ))),
    }
}

/// The RP ID the ceremony runs for: the requested one if it is a registrable domain suffix
/// of the origin's effective domain, else the effective domain itself.
pub fn rp_id_for(origin: &str, requested: Option<&str>) -> Result<String, WebAuthnError> {
    let domain = effective_domain(origin)?;
    let Some(rp_id) = requested else {
        return Ok(domain);
    };
    let rp_id = rp_id.to_ascii_lowercase();
    let suffix = domain == rp_id || domain.ends_with(&format!(".{rp_id}"));
    if !suffix {
        return Err(WebAuthnError::security(format!(
            "RP ID {rp_id:?} is not a registrable domain suffix of the origin's domain {domain:?}"
        )));
    }
    // Without the Public Suffix List, treat every single-label name but localhost as public.
    if !rp_id.contains('.') && rp_id != "localhost" {
        return Err(WebAuthnError::security(format!(
            "RP ID {rp_id:?} is a public suffix, not a registrable domain"
        )));
    }
    Ok(rp_id)
}

/// clientDataJSON in the member order browsers use (L3 5.8.1.1): type, challenge, origin,
/// crossOrigin, topOrigin, then any extra members.
pub fn client_data_json(kind: &str, challenge: &[u8], ctx: &ClientContext) -> String {
    let s = |v: &str| Value::String(v.to_owned()).to_string();
    let mut out = format!(
        "{{\"type\":{},\"challenge\":{},\"origin\":{},\"crossOrigin\":{}",
        s(kind),
        s(&b64(challenge)),
        s(&ctx.origin),
        ctx.cross_origin
    );
    if let Some(top) = &ctx.top_origin {
        out.push_str(&format!(",\"topOrigin\":{}", s(top)));
    }
    for (name, value) in &ctx.extra_client_data {
        out.push_str(&format!(",{}:{value}", s(name)));
    }
    out.push('}');
    out
}

impl VirtualAuthenticator {
    /// `navigator.credentials.create({publicKey})` from a top-level page at `origin`;
    /// returns `PublicKeyCredential.toJSON()`.
    pub fn create(&mut self, options_json: &str, origin: &str) -> Result<Value, WebAuthnError> {
        self.create_in(options_json, &ClientContext::same_origin(origin))
    }

    /// `navigator.credentials.get({publicKey})` from a top-level page at `origin`.
    pub fn get(&mut self, options_json: &str, origin: &str) -> Result<Value, WebAuthnError> {
        self.get_in(options_json, &ClientContext::same_origin(origin))
    }

    /// `create` with a full client context (iframes, extra clientData members).
    pub fn create_in(
        &mut self,
        options_json: &str,
        ctx: &ClientContext,
    ) -> Result<Value, WebAuthnError> {
        let options = CreationOptions::from_json(options_json)?;
        let rp_id = rp_id_for(&ctx.origin, options.rp_id.as_deref())?;
        self.check_attachment(options.attachment.as_deref())?;
        let client_data = client_data_json("webauthn.create", &options.challenge, ctx);
        let made = self.make_credential(&MakeCredential {
            rp_id: &rp_id,
            client_data_hash: Sha256::digest(client_data.as_bytes()).into(),
            user_id: &options.user_id,
            user_name: &options.user_name,
            user_display_name: &options.user_display_name,
            algorithms: &options.algorithms,
            exclude: &options.exclude,
            resident_key: options.resident_key,
            user_verification: options.user_verification,
        })?;
        let config = &self.config;
        let attestation_object =
            match ctap::anonymise(&options.attestation, config.attestation, config.aaguid) {
                true => attestation::object("none", attestation::none(), &made.auth_data),
                false => made.attestation_object,
            };
        let key = self
            .credential(&made.credential_id)
            .map(|c| c.key.public_spki_der());
        let extensions = match options.cred_props {
            true => json!({"credProps": {"rk": made.discoverable}}),
            false => json!({}),
        };
        let id = b64(&made.credential_id);
        Ok(json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "authenticatorAttachment": self.config.attachment.as_str(),
            "response": {
                "clientDataJSON": b64(client_data.as_bytes()),
                "authenticatorData": b64(&made.auth_data),
                "transports": self.config.transports,
                "publicKey": b64(&key.unwrap_or_default()),
                "publicKeyAlgorithm": attestation::ES256,
                "attestationObject": b64(&attestation_object),
            },
            "clientExtensionResults": extensions,
        }))
    }

    /// `get` with a full client context.
    pub fn get_in(
        &mut self,
        options_json: &str,
        ctx: &ClientContext,
    ) -> Result<Value, WebAuthnError> {
        let options = RequestOptions::from_json(options_json)?;
        let rp_id = rp_id_for(&ctx.origin, options.rp_id.as_deref())?;
        let client_data = client_data_json("webauthn.get", &options.challenge, ctx);
        let assertion = self.get_assertion(&GetAssertion {
            rp_id: &rp_id,
            client_data_hash: Sha256::digest(client_data.as_bytes()).into(),
            allow: &options.allow,
            user_verification: options.user_verification,
            pick: ctx.pick_credential.as_deref(),
        })?;
        let id = b64(&assertion.credential_id);
        let mut response = json!({
            "clientDataJSON": b64(client_data.as_bytes()),
            "authenticatorData": b64(&assertion.auth_data),
            "signature": b64(&assertion.signature),
        });
        if let (Some(handle), Some(map)) = (&assertion.user_handle, response.as_object_mut()) {
            map.insert("userHandle".into(), Value::String(b64(handle)));
        }
        Ok(json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "authenticatorAttachment": self.config.attachment.as_str(),
            "response": response,
            "clientExtensionResults": {},
        }))
    }

    fn check_attachment(&self, requested: Option<&str>) -> Result<(), WebAuthnError> {
        let have = self.config.attachment.as_str();
        match requested {
            Some(want @ ("platform" | "cross-platform")) if want != have => {
                Err(WebAuthnError::not_allowed(format!(
                    "authenticatorAttachment {want:?} requested but this authenticator is {have}"
                )))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(origin: &str, requested: Option<&str>, expect: Result<&str, &str>) {
        let got = rp_id_for(origin, requested).map_err(|e| e.to_string());
        match expect {
            Ok(rp) => assert_eq!(got, Ok(rp.to_owned()), "{origin} {requested:?}"),
            Err(prefix) => {
                let err = got.expect_err(origin);
                assert!(err.starts_with(prefix), "{origin} {requested:?}: {err}");
            }
        }
    }

    #[test]
    fn rp_id_rules() {
        check("https://example.org", None, Ok("example.org"));
        check(
            "https://login.example.org:8443",
            Some("example.org"),
            Ok("example.org"),
        );
        check(
            "https://example.org",
            Some("login.example.org"),
            Err("SecurityError: RP ID"),
        );
        check(
            "https://badexample.org",
            Some("example.org"),
            Err("SecurityError: RP ID"),
        );
        check(
            "https://example.org",
            Some("org"),
            Err("SecurityError: RP ID \"org\" is a public"),
        );
        check("http://localhost:9230", Some("localhost"), Ok("localhost"));
        check(
            "http://idp.localhost:9230",
            Some("idp.localhost"),
            Ok("idp.localhost"),
        );
        check(
            "http://a.b.localhost",
            Some("b.localhost"),
            Ok("b.localhost"),
        );
        check("http://a.b.localhost", Some("localhost"), Ok("localhost"));
        check(
            "http://example.org",
            None,
            Err("SecurityError: origin \"http://example.org\" is not a secure"),
        );
        check(
            "http://127.0.0.1:8080",
            None,
            Err("SecurityError: origin \"http://127.0.0.1:8080\" has an IP"),
        );
        check("not a url", None, Err("SecurityError: origin"));
    }

    #[test]
    fn client_data_member_order() {
        let ctx = ClientContext {
            origin: "https://example.org".into(),
            cross_origin: true,
            top_origin: Some("https://example.com".into()),
            extra_client_data: vec![("extraData".into(), json!("x"))],
            pick_credential: None,
        };
        assert_eq!(
            client_data_json("webauthn.get", &[0xff], &ctx),
            r#"{"type":"webauthn.get","challenge":"_w","origin":"https://example.org","crossOrigin":true,"topOrigin":"https://example.com","extraData":"x"}"#
        );
    }
}
