//! The emulator's configuration: a TOML file parsed into raw values (unknown keys refused with
//! their name and position), then applied through the same validation as the API.
//!
//! The embedded default (`fixtures/emulator.toml`) mirrors the integration guide's steps.

use std::net::SocketAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub const DEFAULT_TOML: &str = include_str!("../../fixtures/emulator.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Seed of the random source, for tests and scenario transcripts: with in-memory state the
    /// same seed gives the same ids, codes and keys. With a data directory each start draws from
    /// its own stream of the seed (the directory counts its starts), so a restart never replays
    /// an id or a secret. Absent (the default config): seeded from the OS.
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default = "default_region")]
    pub region: String,
    /// Events kept in the journal (oldest dropped first).
    #[serde(default = "default_journal_capacity")]
    pub journal_capacity: usize,
    /// How long each attempt of a Lambda trigger may run, in milliseconds. Cognito's limit
    /// (5,000) by default; a shorter one makes timeout tests fast.
    #[serde(default)]
    pub trigger_timeout_ms: Option<u64>,
    /// Bytes the journal may hold (its events' JSON size; oldest dropped first).
    #[serde(default = "default_journal_max_bytes")]
    pub journal_max_bytes: usize,
    /// Keep the journal in the data directory too (`journal.jsonl`), so a flow can be read
    /// after a restart. Off by default; ignored with `--ephemeral`.
    #[serde(default)]
    pub journal_persist: bool,
    /// HTTPS mode (`--tls`): both listeners serve HTTPS with a certificate from a local CA.
    #[serde(default)]
    pub tls: TlsConfig,
    pub cognito: CognitoConfig,
    /// The passwordless IdP (a second listener); absent: no IdP.
    #[serde(default)]
    pub idp: Option<crate::idp::config::IdpSection>,
    /// Lambda function ARNs (as a pool's `lambda` table names them) -> emulator trigger
    /// targets: `node:<handler.js>`, `python:<handler.py>[:<function>]`,
    /// `http://<RIE base URL>`, `builtin:link_by_email`.
    #[serde(default)]
    pub lambda_functions: std::collections::BTreeMap<String, String>,
    /// Lambda function ARNs -> the actions their execution role allows (IAM's syntax:
    /// `cognito-idp:ListUsers`, `cognito-idp:Admin*`). A call a handler makes outside them is
    /// refused with `AccessDeniedException`; a function not listed may call everything.
    #[serde(default)]
    pub lambda_permissions: std::collections::BTreeMap<String, Vec<String>>,
}

/// The `[tls]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Serve both listeners over HTTPS. The CA is created once in the data directory
    /// (`tls/ca.pem`; `emulator ca` prints it), or per run with `--ephemeral`.
    #[serde(default)]
    pub enabled: bool,
    /// Names the certificate covers besides `localhost`, `idp.localhost`, `127.0.0.1`, `::1`
    /// and the hosts of the public URLs: other hosts under `localhost` (`app.localhost`; a
    /// wildcard needs two labels after it, `*.app.localhost`, as clients refuse `*.localhost`).
    #[serde(default)]
    pub names: Vec<String>,
}

fn default_region() -> String {
    "us-east-1".into()
}

fn default_journal_max_bytes() -> usize {
    crate::journal::DEFAULT_MAX_BYTES
}

fn default_journal_capacity() -> usize {
    100_000
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CognitoConfig {
    /// Listening address; loopback by default.
    #[serde(default = "default_cognito_bind")]
    pub bind: SocketAddr,
    /// The origin clients use; defaults to `http://localhost:<port>`.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The `iss` of tokens of pools that do not choose (pools made through the API included).
    #[serde(default)]
    pub issuer: IssuerStyle,
    #[serde(default)]
    pub pools: Vec<PoolConfig>,
}

/// Whose name a pool's tokens carry in `iss`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IssuerStyle {
    /// The emulator's own origin, `http://localhost:9229/<pool>`, where discovery and the
    /// JWKS are served: what OIDC clients that discover the issuer expect.
    #[default]
    Emulator,
    /// Production's form, `https://cognito-idp.<region>.amazonaws.com/<pool>`: what verifiers
    /// that derive the issuer from the pool id expect (aws-jwt-verify's `CognitoJwtVerifier`).
    /// Discovery (which names this issuer) and the JWKS are still served by the emulator.
    Aws,
}

fn default_cognito_bind() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9229))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PoolConfig {
    /// A fixed pool id, so URLs and ARNs are stable across runs.
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub username_attributes: Vec<String>,
    #[serde(default)]
    pub alias_attributes: Vec<String>,
    #[serde(default)]
    pub auto_verified_attributes: Vec<String>,
    #[serde(default)]
    pub username_case_sensitive: Option<bool>,
    #[serde(default)]
    pub domain: Option<String>,
    /// Trigger name (`PreSignUp`, `PostConfirmation`, ...) to target.
    #[serde(default)]
    pub lambda: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub clients: Vec<ClientConfig>,
    #[serde(default)]
    pub identity_providers: Vec<IdpConfig>,
    #[serde(default)]
    pub groups: Vec<String>,
    /// Choice-based sign-in's first factors (`PASSWORD`, `EMAIL_OTP`, `SMS_OTP`,
    /// `WEB_AUTHN`): the pool's `Policies.SignInPolicy.AllowedFirstAuthFactors`.
    #[serde(default)]
    pub first_factors: Vec<String>,
    /// The feature plan: `LITE`, `ESSENTIALS` (Cognito's default) or `PLUS`.
    #[serde(default)]
    pub tier: Option<String>,
    /// Passkeys in the pool (`WebAuthnConfiguration`).
    #[serde(default)]
    pub webauthn: Option<WebAuthnConfig>,
    /// The `iss` of this pool's tokens (default: `[cognito] issuer`).
    #[serde(default)]
    pub issuer: Option<IssuerStyle>,
    /// `Policies.PasswordPolicy` (absent members keep Cognito's defaults).
    #[serde(default)]
    pub password_policy: Option<PasswordPolicyConfig>,
    /// `MfaConfiguration`: `OFF` (default), `ON` or `OPTIONAL`.
    #[serde(default)]
    pub mfa: Option<String>,
    /// The MFA factors SetUserPoolMfaConfig enables: `SOFTWARE_TOKEN_MFA`, `SMS_MFA`,
    /// `EMAIL_OTP`.
    #[serde(default)]
    pub mfa_factors: Vec<String>,
    /// Custom attributes (`Schema`), named without the `custom:` prefix.
    #[serde(default)]
    pub custom_attributes: Vec<CustomAttributeConfig>,
    /// `DeletionProtection = ACTIVE`: DeleteUserPool refuses.
    #[serde(default)]
    pub deletion_protection: Option<bool>,
}

/// A pool's password policy, as `Policies.PasswordPolicy` holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicyConfig {
    #[serde(default)]
    pub minimum_length: Option<i64>,
    #[serde(default)]
    pub require_uppercase: Option<bool>,
    #[serde(default)]
    pub require_lowercase: Option<bool>,
    #[serde(default)]
    pub require_numbers: Option<bool>,
    #[serde(default)]
    pub require_symbols: Option<bool>,
    #[serde(default)]
    pub temporary_password_validity_days: Option<i64>,
}

/// A custom attribute, as a `SchemaAttributeType` describes it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomAttributeConfig {
    pub name: String,
    /// `String` (default), `Number`, `DateTime` or `Boolean`.
    #[serde(default, rename = "type")]
    pub data_type: Option<String>,
    /// Default true.
    #[serde(default)]
    pub mutable: Option<bool>,
    #[serde(default)]
    pub developer_only: Option<bool>,
    /// `StringAttributeConstraints`.
    #[serde(default)]
    pub min_length: Option<String>,
    #[serde(default)]
    pub max_length: Option<String>,
    /// `NumberAttributeConstraints`.
    #[serde(default)]
    pub min_value: Option<String>,
    #[serde(default)]
    pub max_value: Option<String>,
}

/// A pool's passkey settings, as SetUserPoolMfaConfig takes them.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebAuthnConfig {
    /// The relying party ID (default: the emulator's host).
    #[serde(default)]
    pub rp_id: Option<String>,
    /// `preferred` (default) or `required`.
    #[serde(default)]
    pub user_verification: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub callback_urls: Vec<String>,
    #[serde(default)]
    pub logout_urls: Vec<String>,
    #[serde(default)]
    pub allowed_oauth_flows: Vec<String>,
    #[serde(default)]
    pub allowed_oauth_scopes: Vec<String>,
    #[serde(default)]
    pub supported_identity_providers: Vec<String>,
    #[serde(default)]
    pub explicit_auth_flows: Vec<String>,
    /// Token lifetimes, in `token_validity_units` (Cognito's defaults: access and ID tokens
    /// 1 hour, refresh tokens 30 days).
    #[serde(default)]
    pub access_token_validity: Option<i64>,
    #[serde(default)]
    pub id_token_validity: Option<i64>,
    #[serde(default)]
    pub refresh_token_validity: Option<i64>,
    #[serde(default)]
    pub token_validity_units: Option<TokenValidityUnits>,
    /// Minutes a sign-in session lasts (3 to 15; default 3).
    #[serde(default)]
    pub auth_session_validity: Option<i64>,
    /// `ENABLED` or `LEGACY` (the API's default).
    #[serde(default)]
    pub prevent_user_existence_errors: Option<String>,
    /// Default true.
    #[serde(default)]
    pub enable_token_revocation: Option<bool>,
    #[serde(default)]
    pub read_attributes: Vec<String>,
    #[serde(default)]
    pub write_attributes: Vec<String>,
    #[serde(default)]
    pub default_redirect_uri: Option<String>,
}

/// `TokenValidityUnits`: `seconds`, `minutes`, `hours` or `days` per token.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TokenValidityUnits {
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IdpConfig {
    pub name: String,
    #[serde(default = "default_idp_type")]
    pub provider_type: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    pub authorize_scopes: String,
    #[serde(default = "default_method")]
    pub attributes_request_method: String,
    pub oidc_issuer: String,
    pub authorize_url: String,
    pub token_url: String,
    pub attributes_url: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub attribute_mapping: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub idp_identifiers: Vec<String>,
}

fn default_idp_type() -> String {
    "OIDC".into()
}

fn default_method() -> String {
    "GET".into()
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid config {origin}: {message}")]
    Parse { origin: String, message: String },
}

impl Config {
    pub fn parse(text: &str, origin: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            origin: origin.to_owned(),
            message: e.to_string(),
        })
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The embedded default configuration.
    pub fn default_config() -> Self {
        match Self::parse(DEFAULT_TOML, "(embedded default)") {
            Ok(c) => c,
            // The embedded file is checked by a unit test; this arm is unreachable in a build
            // that passed its tests, and falls back to an empty emulator rather than panicking.
            Err(_) => Self {
                seed: None,
                region: default_region(),
                journal_capacity: default_journal_capacity(),
                journal_max_bytes: default_journal_max_bytes(),
                journal_persist: false,
                tls: TlsConfig::default(),
                trigger_timeout_ms: None,
                idp: None,
                lambda_functions: Default::default(),
                lambda_permissions: Default::default(),
                cognito: CognitoConfig {
                    bind: default_cognito_bind(),
                    public_url: None,
                    issuer: IssuerStyle::default(),
                    pools: Vec::new(),
                },
            },
        }
    }

    /// Bind every listener to port 0 (tests and in-process use).
    pub fn with_ephemeral_ports(self) -> Self {
        let mut cognito = self.cognito.bind;
        cognito.set_port(0);
        let idp = self.idp.as_ref().map(|i| {
            let mut b = i.bind;
            b.set_port(0);
            b
        });
        self.with_binds(Some(cognito), idp)
    }

    /// Move the listeners (`--bind`, `--idp-bind`, ephemeral ports in tests): the public URLs
    /// are then the bound addresses, and redirect URIs on the configured Cognito origin and
    /// the pools' IdP endpoints on the configured IdP origin follow them once the real ports
    /// are known (`idp::listener::bind`), so federation keeps working.
    pub fn with_binds(mut self, cognito: Option<SocketAddr>, idp_bind: Option<SocketAddr>) -> Self {
        if cognito.is_none() && idp_bind.is_none() {
            return self;
        }
        if let Some(b) = cognito {
            self.cognito.bind = b;
        }
        let cognito_url = self.cognito.public_url.take();
        if let Some(idp) = &mut self.idp {
            let idp_url = idp.public_url.take();
            if let (Some(c), Some(i)) = (cognito_url, idp_url) {
                idp.rebase_from = Some((c, i));
            }
            if let Some(b) = idp_bind {
                idp.bind = b;
            }
        }
        self
    }
}

impl Config {
    /// HTTPS mode: the emulator's own public URLs move from `http://` to `https://`, and
    /// (as with moved ports) the IdP apps' redirect URIs on the Cognito origin and the pools'
    /// IdP endpoints on the IdP origin follow them (`idp::listener::bind`).
    pub fn use_https(&mut self) {
        self.tls.enabled = true;
        let cognito_from = self.cognito.public_url.clone();
        self.cognito.public_url = self.cognito.public_url.take().map(https);
        if let Some(idp) = &mut self.idp {
            let idp_from = idp.public_url.clone();
            idp.public_url = idp.public_url.take().map(https);
            if idp.rebase_from.is_none()
                && let (Some(c), Some(i)) = (cognito_from, idp_from)
            {
                idp.rebase_from = Some((c, i));
            }
        }
    }

    /// `http` or `https`, as the listeners serve.
    pub fn scheme(&self) -> &'static str {
        if self.tls.enabled { "https" } else { "http" }
    }
}

/// A listener's public URL: the configured one (a port of 0 there meaning the bound port), or
/// `scheme://host:port` on the bound port.
pub fn public_url(configured: Option<&str>, scheme: &str, host: &str, port: u16) -> String {
    let Some(configured) = configured else {
        return format!("{scheme}://{host}:{port}");
    };
    let configured = configured.trim_end_matches('/');
    match url::Url::parse(configured) {
        Ok(mut u) if u.port() == Some(0) => {
            let _ = u.set_port(Some(port));
            u.as_str().trim_end_matches('/').to_owned()
        }
        _ => configured.to_owned(),
    }
}

fn https(url: String) -> String {
    match url.strip_prefix("http://") {
        Some(rest) => format!("https://{rest}"),
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_parses_and_mirrors_the_guide() {
        let c = Config::parse(DEFAULT_TOML, "default").unwrap();
        let pool = &c.cognito.pools[0];
        assert_eq!(pool.username_attributes, ["email"]);
        let idp = &pool.identity_providers[0];
        assert_eq!(idp.name, "Mosaic");
        assert_eq!(idp.oidc_issuer, "https://userid.security");
        assert_eq!(idp.attributes_request_method, "GET");
        assert!(idp.authorize_url.ends_with("/cis/oidc/auth"));
        assert!(pool.clients[0].callback_urls[0].starts_with("http://localhost"));
        assert!(c.cognito.bind.ip().is_loopback());
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = Config::parse("[cognito]\nbindd = \"127.0.0.1:1\"\n", "t.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `bindd`"), "{err}");
        assert!(err.contains("t.toml"), "{err}");
        let err = Config::parse("[cognito]\n[[cognito.pools]]\nid = \"x\"\n", "t.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `name`"), "{err}");
    }
}
