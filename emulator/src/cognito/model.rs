//! The user pool's stored records (pools, app clients, identity providers, groups, resource
//! servers, domains) and the typed views of pool settings the emulator acts on.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::store::Entity;

/// A user pool. `settings` holds the validated members of Create/UpdateUserPool as AWS names
/// them (PascalCase), returned as they are by DescribeUserPool.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pool {
    pub id: String,
    pub name: String,
    pub created: i64,
    pub modified: i64,
    pub settings: Map<String, Value>,
    /// Custom attributes (`custom:` prefix included) and their schema entries.
    pub schema: Vec<Value>,
    pub domain: Option<String>,
}

impl Entity for Pool {
    const KIND: &'static str = "pool";
}

impl Pool {
    fn string_list(&self, key: &str) -> Vec<String> {
        match self.settings.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }
    /// `UsernameAttributes`: `email` and/or `phone_number` sign in in place of a username.
    pub fn username_attributes(&self) -> Vec<String> {
        self.string_list("UsernameAttributes")
    }
    /// `AliasAttributes`: `email`, `phone_number`, `preferred_username` as sign-in aliases.
    pub fn alias_attributes(&self) -> Vec<String> {
        self.string_list("AliasAttributes")
    }
    pub fn auto_verified_attributes(&self) -> Vec<String> {
        self.string_list("AutoVerifiedAttributes")
    }
    /// `UsernameConfiguration.CaseSensitive`; the API's default is case-sensitive.
    pub fn username_case_sensitive(&self) -> bool {
        self.settings
            .get("UsernameConfiguration")
            .and_then(|c| c.get("CaseSensitive"))
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }
    /// The key a username is compared by.
    pub fn username_key(&self, username: &str) -> String {
        if self.username_case_sensitive() {
            username.to_owned()
        } else {
            username.to_lowercase()
        }
    }
    pub fn password_policy(&self) -> PasswordPolicy {
        let p = self
            .settings
            .get("Policies")
            .and_then(|p| p.get("PasswordPolicy"));
        let flag = |k: &str, d: bool| {
            p.and_then(|p| p.get(k))
                .and_then(Value::as_bool)
                .unwrap_or(d)
        };
        let num = |k: &str, d: i64| {
            p.and_then(|p| p.get(k))
                .and_then(Value::as_i64)
                .unwrap_or(d)
        };
        PasswordPolicy {
            minimum_length: num("MinimumLength", 8) as usize,
            require_uppercase: flag("RequireUppercase", true),
            require_lowercase: flag("RequireLowercase", true),
            require_numbers: flag("RequireNumbers", true),
            require_symbols: flag("RequireSymbols", true),
            temporary_validity_days: num("TemporaryPasswordValidityDays", 7),
        }
    }
    /// `AdminCreateUserConfig.AllowAdminCreateUserOnly`: users cannot sign themselves up.
    pub fn admin_create_user_only(&self) -> bool {
        self.settings
            .get("AdminCreateUserConfig")
            .and_then(|c| c.get("AllowAdminCreateUserOnly"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
    /// The Lambda ARN (or emulator target) configured for a trigger, e.g. `PreSignUp`.
    pub fn lambda(&self, trigger: &str) -> Option<String> {
        self.settings
            .get("LambdaConfig")?
            .get(trigger)?
            .as_str()
            .map(str::to_owned)
    }
    pub fn is_custom_attribute(&self, name: &str) -> bool {
        self.schema
            .iter()
            .any(|a| a.get("Name").and_then(Value::as_str) == Some(name))
    }
    pub fn arn(&self, region: &str) -> String {
        format!(
            "arn:aws:cognito-idp:{region}:000000000000:userpool/{}",
            self.id
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub minimum_length: usize,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    pub temporary_validity_days: i64,
}

/// An app client. `settings` holds the validated members of Create/UpdateUserPoolClient.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Client {
    pub pool_id: String,
    pub client_id: String,
    pub name: String,
    pub secret: Option<String>,
    pub created: i64,
    pub modified: i64,
    pub settings: Map<String, Value>,
}

impl Entity for Client {
    const KIND: &'static str = "client";
}

impl Client {
    pub fn list(&self, key: &str) -> Vec<String> {
        match self.settings.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }
    /// `PreventUserExistenceErrors = ENABLED`: answers never tell an unknown user apart.
    pub fn prevents_user_existence_errors(&self) -> bool {
        self.settings
            .get("PreventUserExistenceErrors")
            .and_then(Value::as_str)
            == Some("ENABLED")
    }
    pub fn allows_auth_flow(&self, flow: &str) -> bool {
        self.list("ExplicitAuthFlows")
            .iter()
            .any(|f| f == flow || f == &format!("ALLOW_{flow}"))
    }
    /// A token validity in seconds: `key` is `IdToken`, `AccessToken` or `RefreshToken`.
    pub fn validity_secs(&self, key: &str, default_secs: i64) -> i64 {
        let units = self
            .settings
            .get("TokenValidityUnits")
            .and_then(|u| u.get(key))
            .and_then(Value::as_str);
        let field = match key {
            "IdToken" => "IdTokenValidity",
            "AccessToken" => "AccessTokenValidity",
            _ => "RefreshTokenValidity",
        };
        let Some(n) = self.settings.get(field).and_then(Value::as_i64) else {
            return default_secs;
        };
        let unit = units.unwrap_or(if key == "RefreshToken" {
            "days"
        } else {
            "hours"
        });
        n * match unit {
            "seconds" => 1,
            "minutes" => 60,
            "hours" => 3600,
            _ => 86400,
        }
    }
}

/// An identity provider of a pool (OIDC, SAML, social).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdentityProvider {
    pub pool_id: String,
    pub name: String,
    pub provider_type: String,
    pub details: Map<String, Value>,
    pub attribute_mapping: Map<String, Value>,
    pub identifiers: Vec<String>,
    pub created: i64,
    pub modified: i64,
}

impl Entity for IdentityProvider {
    const KIND: &'static str = "idp";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub pool_id: String,
    pub name: String,
    pub description: Option<String>,
    pub precedence: Option<i64>,
    pub role_arn: Option<String>,
    pub created: i64,
    pub modified: i64,
}

impl Entity for Group {
    const KIND: &'static str = "group";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResourceServer {
    pub pool_id: String,
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<Value>,
}

impl Entity for ResourceServer {
    const KIND: &'static str = "resource_server";
}

/// A hosted-UI domain prefix (or custom domain) of a pool.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Domain {
    pub domain: String,
    pub pool_id: String,
    pub custom: bool,
}

impl Entity for Domain {
    const KIND: &'static str = "domain";
}

/// An RSA signing key of a pool, persisted so tokens stay valid across restarts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SigningKey {
    pub kid: String,
    /// `id` or `access`: Cognito signs the two token types with different keys.
    pub token_use: String,
    /// PKCS#8 DER, base64.
    pub pkcs8: String,
}

impl Entity for SigningKey {
    const KIND: &'static str = "signing_key";
}

/// A federated identity linked to a native user (AdminLinkProviderForUser): when the IdP
/// signs in `value` for `provider`, the pool signs in the user with `user_sub`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Link {
    pub provider: String,
    pub value: String,
    pub user_sub: String,
    pub created: i64,
}

impl Entity for Link {
    const KIND: &'static str = "link";
}

impl Link {
    pub fn key(provider: &str, value: &str) -> String {
        format!("{provider}:{value}")
    }
}

/// A device a user signs in from (device tracking, `DeviceConfiguration`): created with
/// `NewDeviceMetadata` at sign-in, confirmed by ConfirmDevice with the SRP verifier of a
/// secret only the device knows, then remembered or not.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Device {
    pub key: String,
    pub group_key: String,
    pub user_sub: String,
    pub name: Option<String>,
    /// SRP salt and verifier (hex), set by ConfirmDevice.
    pub salt: Option<String>,
    pub verifier: Option<String>,
    pub remembered: bool,
    pub created: i64,
    pub modified: i64,
    pub last_authenticated: i64,
}

impl Entity for Device {
    const KIND: &'static str = "device";
}

impl Device {
    /// Confirmed devices answer DEVICE_SRP_AUTH.
    pub fn confirmed(&self) -> bool {
        self.verifier.is_some()
    }
}
