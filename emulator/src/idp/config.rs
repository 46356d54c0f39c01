//! The `[idp]` section of the config: listener, issuer, relying party, tenants, apps and their
//! hosted experiences. Parsed as raw values here, checked by [`IdpSection::validate`].

use std::net::SocketAddr;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpSection {
    /// Listening address; loopback by default.
    #[serde(default = "default_bind")]
    pub bind: SocketAddr,
    /// The origin browsers use (`http://idp.localhost:9230`); also the WebAuthn origin.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The default issuer of every tenant, pinned: never derived from the Host header.
    #[serde(default = "default_issuer")]
    pub issuer: String,
    /// WebAuthn RP ID; defaults to the host of the public URL.
    #[serde(default)]
    pub rp_id: Option<String>,
    #[serde(default)]
    pub tenants: Vec<TenantConfig>,
    /// Set by `Config::with_ephemeral_ports`: origins to rewrite once the real ports are known
    /// (`(configured Cognito origin, configured IdP origin)`).
    #[serde(skip)]
    pub rebase_from: Option<(String, String)>,
}

fn default_bind() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9230))
}

fn default_issuer() -> String {
    "https://userid.security".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// Overrides the section's issuer for this tenant. `"self"`: the IdP's own address,
    /// `<public_url>/tenants/<id>`, with its discovery document served there, so strict OpenID
    /// clients (openid-client v6) accept it; other tenants keep the pinned issuer.
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub apps: Vec<AppConfig>,
}

/// How an app uses PKCE (the vendor's per-app setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PkceMode {
    /// PKCE checked when a challenge was sent; the secret is always required.
    #[default]
    Allowed,
    /// A challenge is required, and the secret too.
    RequiredWithSecret,
    /// A challenge is required instead of the secret (public clients).
    RequiredInsteadOfSecret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// Exact-match allowlist.
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub pkce: PkceMode,
    /// Also emit the phone number as `phone` (the integration guide's mapping table).
    #[serde(default)]
    pub phone_alias: bool,
    #[serde(default = "default_code_ttl")]
    pub code_ttl_secs: i64,
    #[serde(default = "default_access_ttl")]
    pub access_token_ttl_secs: i64,
    #[serde(default = "default_refresh_ttl")]
    pub refresh_token_ttl_secs: i64,
    #[serde(default)]
    pub otp: OtpConfig,
    #[serde(default)]
    pub experience: ExperienceConfig,
}

fn default_scopes() -> Vec<String> {
    ["openid", "email", "phone", "offline_access"]
        .map(String::from)
        .to_vec()
}

fn default_code_ttl() -> i64 {
    60
}

fn default_access_ttl() -> i64 {
    3600
}

fn default_refresh_ttl() -> i64 {
    14 * 86400
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpConfig {
    #[serde(default = "default_otp_length")]
    pub length: usize,
    #[serde(default = "default_otp_ttl")]
    pub ttl_secs: i64,
    /// Wrong codes accepted before the code is locked.
    #[serde(default = "default_otp_attempts")]
    pub max_attempts: u32,
    /// Minimum delay between two sends to the same interaction.
    #[serde(default = "default_resend_interval")]
    pub resend_interval_secs: i64,
    /// Sends allowed per interaction.
    #[serde(default = "default_max_sends")]
    pub max_sends: u32,
}

fn default_otp_length() -> usize {
    6
}
fn default_otp_ttl() -> i64 {
    300
}
fn default_otp_attempts() -> u32 {
    5
}
fn default_resend_interval() -> i64 {
    30
}
fn default_max_sends() -> u32 {
    5
}

impl Default for OtpConfig {
    fn default() -> Self {
        Self {
            length: default_otp_length(),
            ttl_secs: default_otp_ttl(),
            max_attempts: default_otp_attempts(),
            resend_interval_secs: default_resend_interval(),
            max_sends: default_max_sends(),
        }
    }
}

/// The user identifier the experience collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Identifier {
    #[default]
    Email,
    Phone,
}

/// A secondary method of the experience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Secondary {
    WebauthnQr,
    EmailOtp,
    SmsOtp,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperienceConfig {
    #[serde(default)]
    pub identifier: Identifier,
    /// Only `passkey` exists.
    #[serde(default = "default_primary")]
    pub primary: String,
    #[serde(default = "default_secondary")]
    pub secondary: Vec<Secondary>,
    /// The Sign-in/Sign-up toggle: unknown identifiers become new users after the OTP.
    #[serde(default = "yes")]
    pub sign_up: bool,
    /// User-information collection (off for the Cognito integration; only `false` is supported).
    #[serde(default)]
    pub collect_user_info: bool,
    /// Lifetime of a WebAuthn QR ticket.
    #[serde(default = "default_qr_ttl")]
    pub qr_ttl_secs: i64,
}

fn default_primary() -> String {
    "passkey".into()
}
fn default_secondary() -> Vec<Secondary> {
    vec![Secondary::WebauthnQr, Secondary::EmailOtp]
}
fn yes() -> bool {
    true
}
fn default_qr_ttl() -> i64 {
    180
}

impl Default for ExperienceConfig {
    fn default() -> Self {
        Self {
            identifier: Identifier::Email,
            primary: default_primary(),
            secondary: default_secondary(),
            sign_up: true,
            collect_user_info: false,
            qr_ttl_secs: default_qr_ttl(),
        }
    }
}

impl ExperienceConfig {
    pub fn qr_enabled(&self) -> bool {
        self.secondary.contains(&Secondary::WebauthnQr)
    }
}

impl IdpSection {
    /// Checks what serde cannot: unique client ids, an OTP method matching the identifier.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for tenant in &self.tenants {
            for app in &tenant.apps {
                let id = &app.client_id;
                if !seen.insert(id.clone()) {
                    return Err(format!("idp app client_id {id} appears twice"));
                }
                if app.client_secret.is_none() && app.pkce != PkceMode::RequiredInsteadOfSecret {
                    return Err(format!(
                        "idp app {id}: client_secret is required unless pkce = \"required_instead_of_secret\""
                    ));
                }
                let x = &app.experience;
                let otp = match x.identifier {
                    Identifier::Email => Secondary::EmailOtp,
                    Identifier::Phone => Secondary::SmsOtp,
                };
                if !x.secondary.contains(&otp) {
                    return Err(format!(
                        "idp app {id}: the experience identifies users by {:?} but has no {:?} secondary method to verify it",
                        x.identifier, otp
                    ));
                }
                if x.primary != "passkey" {
                    return Err(format!("idp app {id}: primary method must be \"passkey\""));
                }
                if x.collect_user_info {
                    return Err(format!(
                        "idp app {id}: collect_user_info = true is not supported"
                    ));
                }
                if let Some(bad) = app
                    .redirect_uris
                    .iter()
                    .chain(&app.post_logout_redirect_uris)
                    .find(|u| url::Url::parse(u).is_err())
                {
                    return Err(format!("idp app {id}: {bad} is not an absolute URL"));
                }
                if !(4..=10).contains(&app.otp.length) {
                    return Err(format!("idp app {id}: otp.length must be 4 to 10"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `[idp]` with one app whose extra lines are `app`, and validates it.
    fn check(app: &str, expect: Option<&str>) {
        let text = format!(
            "[[tenants]]\nid = \"t\"\n[[tenants.apps]]\nclient_id = \"c\"\n\
             redirect_uris = [\"http://localhost:1/cb\"]\n{app}"
        );
        let section: IdpSection = toml::from_str(&text).unwrap();
        match (section.validate(), expect) {
            (Ok(()), None) => {}
            (Err(e), Some(want)) => assert!(e.contains(want), "{e}"),
            (got, want) => panic!("{app}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn validation_names_what_is_wrong() {
        check("client_secret = \"s\"", None);
        check("", Some("client_secret is required"));
        check("pkce = \"required_instead_of_secret\"", None);
        check(
            "client_secret = \"s\"\nexperience = { secondary = [\"webauthn_qr\"] }",
            Some("no EmailOtp"),
        );
        check(
            "client_secret = \"s\"\nexperience = { identifier = \"phone\" }",
            Some("no SmsOtp"),
        );
        check(
            "client_secret = \"s\"\notp = { length = 2 }",
            Some("otp.length"),
        );
        check(
            "client_secret = \"s\"\npost_logout_redirect_uris = [\"/relative\"]",
            Some("not an absolute URL"),
        );
        check(
            "client_secret = \"s\"\nexperience = { collect_user_info = true }",
            Some("not supported"),
        );
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let otp = OtpConfig::default();
        assert_eq!((otp.length, otp.ttl_secs, otp.max_attempts), (6, 300, 5));
        let x = ExperienceConfig::default();
        assert!(x.sign_up && x.qr_enabled() && !x.collect_user_info);
    }
}
