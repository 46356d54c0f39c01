//! Applying the config file: pools, clients, identity providers and groups are created
//! through the same functions as the API, so the file gets the API's validation.

use serde_json::{Map, Value, json};

use crate::cognito::Cognito;
use crate::cognito::api::{self, clients, groups, idps, pools};
use crate::cognito::error::CognitoError;
use crate::config::{
    ClientConfig, Config, CustomAttributeConfig, IdpConfig, PasswordPolicyConfig, PoolConfig,
};

/// Create what the config describes and is not yet in the store (a restart keeps state).
pub fn apply(cx: &Cognito, config: &Config) -> Result<(), String> {
    for p in &config.cognito.pools {
        apply_pool(cx, p).map_err(|e| format!("pool {:?}: {}", p.id, e.message))?;
    }
    // Pools of a data directory older than the uniqueness index get theirs (once).
    let stored: Vec<crate::cognito::model::Pool> =
        cx.store.list(None).map_err(|e| e.to_string())?;
    for pool in &stored {
        pools::unique_rules(cx, pool).map_err(|e| format!("pool {:?}: {}", pool.id, e.message))?;
    }
    Ok(())
}

fn apply_pool(cx: &Cognito, p: &PoolConfig) -> Result<(), CognitoError> {
    if api::pool(cx, &p.id).is_ok() {
        return Ok(());
    }
    pools::create_pool(cx, Some(&p.id), &p.name, &pool_settings(p))?;
    apply_mfa(cx, p)?;
    if let Some(d) = &p.domain {
        let input = serde_json::from_value(json!({"Domain": d, "UserPoolId": p.id}))
            .map_err(|e| CognitoError::invalid(e.to_string()))?;
        pools::create_domain(cx, input)?;
    }
    for idp in &p.identity_providers {
        apply_idp(cx, &p.id, idp).map_err(|e| {
            CognitoError::invalid(format!("identity provider {:?}: {}", idp.name, e.message))
        })?;
    }
    for c in &p.clients {
        clients::create_client(
            cx,
            &p.id,
            Some(&c.id),
            &c.name,
            c.secret.clone(),
            &client_settings(c),
        )
        .map_err(|e| CognitoError::invalid(format!("client {:?}: {}", c.id, e.message)))?;
    }
    for g in &p.groups {
        let input = serde_json::from_value(json!({"UserPoolId": p.id, "GroupName": g}))
            .map_err(|e| CognitoError::invalid(e.to_string()))?;
        groups::create_group(cx, input)?;
    }
    Ok(())
}

/// The pool's CreateUserPool members.
fn pool_settings(p: &PoolConfig) -> Map<String, Value> {
    let mut settings = Map::new();
    let list = |v: &[String]| json!(v);
    if !p.username_attributes.is_empty() {
        settings.insert("UsernameAttributes".into(), list(&p.username_attributes));
    }
    if !p.alias_attributes.is_empty() {
        settings.insert("AliasAttributes".into(), list(&p.alias_attributes));
    }
    if !p.auto_verified_attributes.is_empty() {
        settings.insert(
            "AutoVerifiedAttributes".into(),
            list(&p.auto_verified_attributes),
        );
    }
    if let Some(cs) = p.username_case_sensitive {
        settings.insert("UsernameConfiguration".into(), json!({"CaseSensitive": cs}));
    }
    if !p.lambda.is_empty() {
        settings.insert("LambdaConfig".into(), json!(p.lambda));
    }
    let mut policies = Map::new();
    if !p.first_factors.is_empty() {
        let factors = json!({"AllowedFirstAuthFactors": p.first_factors});
        policies.insert("SignInPolicy".into(), factors);
    }
    if let Some(pp) = &p.password_policy {
        policies.insert("PasswordPolicy".into(), password_policy(pp));
    }
    if !policies.is_empty() {
        settings.insert("Policies".into(), Value::Object(policies));
    }
    if let Some(t) = &p.tier {
        settings.insert("UserPoolTier".into(), json!(t));
    }
    if !p.custom_attributes.is_empty() {
        let schema = p.custom_attributes.iter().map(custom_attribute).collect();
        settings.insert("Schema".into(), Value::Array(schema));
    }
    if let Some(on) = p.deletion_protection {
        let value = if on { "ACTIVE" } else { "INACTIVE" };
        settings.insert("DeletionProtection".into(), json!(value));
    }
    settings
}

fn password_policy(pp: &PasswordPolicyConfig) -> Value {
    let mut out = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            out.insert(k.into(), v);
        }
    };
    put("MinimumLength", pp.minimum_length.map(Value::from));
    put("RequireUppercase", pp.require_uppercase.map(Value::from));
    put("RequireLowercase", pp.require_lowercase.map(Value::from));
    put("RequireNumbers", pp.require_numbers.map(Value::from));
    put("RequireSymbols", pp.require_symbols.map(Value::from));
    put(
        "TemporaryPasswordValidityDays",
        pp.temporary_password_validity_days.map(Value::from),
    );
    Value::Object(out)
}

/// A `SchemaAttributeType` for a custom attribute.
fn custom_attribute(a: &CustomAttributeConfig) -> Value {
    let mut out = json!({
        "Name": a.name, "AttributeDataType": a.data_type.as_deref().unwrap_or("String"),
        "Mutable": a.mutable.unwrap_or(true), "DeveloperOnlyAttribute": a.developer_only.unwrap_or(false),
    });
    if a.min_length.is_some() || a.max_length.is_some() {
        out["StringAttributeConstraints"] = constraints("Length", &a.min_length, &a.max_length);
    }
    if a.min_value.is_some() || a.max_value.is_some() {
        out["NumberAttributeConstraints"] = constraints("Value", &a.min_value, &a.max_value);
    }
    out
}

fn constraints(what: &str, min: &Option<String>, max: &Option<String>) -> Value {
    let mut out = Map::new();
    if let Some(m) = min {
        out.insert(format!("Min{what}"), json!(m));
    }
    if let Some(m) = max {
        out.insert(format!("Max{what}"), json!(m));
    }
    Value::Object(out)
}

/// MFA and passkeys, through SetUserPoolMfaConfig (its validation included).
fn apply_mfa(cx: &Cognito, p: &PoolConfig) -> Result<(), CognitoError> {
    let mut input = Map::new();
    if let Some(w) = &p.webauthn {
        let mut config = Map::new();
        if let Some(rp) = &w.rp_id {
            config.insert("RelyingPartyId".into(), json!(rp));
        }
        if let Some(uv) = &w.user_verification {
            config.insert("UserVerification".into(), json!(uv));
        }
        input.insert("WebAuthnConfiguration".into(), Value::Object(config));
    }
    for f in &p.mfa_factors {
        let (key, value) = match f.as_str() {
            "SOFTWARE_TOKEN_MFA" => ("SoftwareTokenMfaConfiguration", json!({"Enabled": true})),
            "SMS_MFA" => ("SmsMfaConfiguration", json!({"SmsConfiguration": {}})),
            "EMAIL_OTP" => ("EmailMfaConfiguration", json!({})),
            other => {
                return Err(CognitoError::invalid(format!(
                    "mfa_factors: unknown factor {other}; use SOFTWARE_TOKEN_MFA, SMS_MFA or EMAIL_OTP."
                )));
            }
        };
        input.insert(key.into(), value);
    }
    if let Some(m) = &p.mfa {
        input.insert("MfaConfiguration".into(), json!(m));
    }
    if input.is_empty() {
        return Ok(());
    }
    input.insert("UserPoolId".into(), json!(p.id));
    let input = serde_json::from_value(Value::Object(input))
        .map_err(|e| CognitoError::invalid(e.to_string()))?;
    crate::cognito::api::mfa::set_pool_config(cx, input).map(|_| ())
}

/// The client's CreateUserPoolClient members.
fn client_settings(c: &ClientConfig) -> Map<String, Value> {
    let mut s = Map::new();
    let pairs = [
        ("CallbackURLs", &c.callback_urls),
        ("LogoutURLs", &c.logout_urls),
        ("AllowedOAuthFlows", &c.allowed_oauth_flows),
        ("AllowedOAuthScopes", &c.allowed_oauth_scopes),
        (
            "SupportedIdentityProviders",
            &c.supported_identity_providers,
        ),
        ("ExplicitAuthFlows", &c.explicit_auth_flows),
        ("ReadAttributes", &c.read_attributes),
        ("WriteAttributes", &c.write_attributes),
    ];
    for (k, v) in pairs {
        if !v.is_empty() {
            s.insert(k.into(), json!(v));
        }
    }
    if !c.allowed_oauth_flows.is_empty() {
        s.insert("AllowedOAuthFlowsUserPoolClient".into(), Value::Bool(true));
    }
    let scalars = [
        (
            "AccessTokenValidity",
            c.access_token_validity.map(Value::from),
        ),
        ("IdTokenValidity", c.id_token_validity.map(Value::from)),
        (
            "RefreshTokenValidity",
            c.refresh_token_validity.map(Value::from),
        ),
        (
            "AuthSessionValidity",
            c.auth_session_validity.map(Value::from),
        ),
        (
            "PreventUserExistenceErrors",
            c.prevent_user_existence_errors.clone().map(Value::from),
        ),
        (
            "EnableTokenRevocation",
            c.enable_token_revocation.map(Value::from),
        ),
        (
            "DefaultRedirectURI",
            c.default_redirect_uri.clone().map(Value::from),
        ),
    ];
    for (k, v) in scalars {
        if let Some(v) = v {
            s.insert(k.into(), v);
        }
    }
    if let Some(u) = &c.token_validity_units {
        let mut units = Map::new();
        for (k, v) in [
            ("AccessToken", &u.access_token),
            ("IdToken", &u.id_token),
            ("RefreshToken", &u.refresh_token),
        ] {
            if let Some(v) = v {
                units.insert(k.into(), json!(v));
            }
        }
        s.insert("TokenValidityUnits".into(), Value::Object(units));
    }
    s
}

fn apply_idp(cx: &Cognito, pool_id: &str, i: &IdpConfig) -> Result<(), CognitoError> {
    let mut details = json!({
        "client_id": i.client_id, "authorize_scopes": i.authorize_scopes,
        "attributes_request_method": i.attributes_request_method, "oidc_issuer": i.oidc_issuer,
        "authorize_url": i.authorize_url, "token_url": i.token_url, "attributes_url": i.attributes_url,
        "jwks_uri": i.jwks_uri,
    });
    if let Some(s) = &i.client_secret {
        details["client_secret"] = json!(s);
    }
    let mut input = json!({
        "UserPoolId": pool_id, "ProviderName": i.name, "ProviderType": i.provider_type,
        "ProviderDetails": details, "IdpIdentifiers": i.idp_identifiers,
    });
    if !i.attribute_mapping.is_empty() {
        input["AttributeMapping"] = json!(i.attribute_mapping);
    }
    let input = serde_json::from_value(input).map_err(|e| CognitoError::invalid(e.to_string()))?;
    idps::create_provider(cx, input).map(|_| ())
}
