//! Applying the config file: pools, clients, identity providers and groups are created
//! through the same functions as the API, so the file gets the API's validation.

use serde_json::{Map, Value, json};

use crate::cognito::Cognito;
use crate::cognito::api::{self, clients, groups, idps, pools};
use crate::cognito::error::CognitoError;
use crate::config::{Config, IdpConfig, PoolConfig};

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
    if !p.first_factors.is_empty() {
        let factors = json!({"SignInPolicy": {"AllowedFirstAuthFactors": p.first_factors}});
        settings.insert("Policies".into(), factors);
    }
    if let Some(t) = &p.tier {
        settings.insert("UserPoolTier".into(), json!(t));
    }
    pools::create_pool(cx, Some(&p.id), &p.name, &settings)?;
    if let Some(w) = &p.webauthn {
        let mut config = serde_json::Map::new();
        if let Some(rp) = &w.rp_id {
            config.insert("RelyingPartyId".into(), json!(rp));
        }
        if let Some(uv) = &w.user_verification {
            config.insert("UserVerification".into(), json!(uv));
        }
        let input =
            serde_json::from_value(json!({"UserPoolId": p.id, "WebAuthnConfiguration": config}))
                .map_err(|e| CognitoError::invalid(e.to_string()))?;
        crate::cognito::api::mfa::set_pool_config(cx, input)?;
    }
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
        ];
        for (k, v) in pairs {
            if !v.is_empty() {
                s.insert(k.into(), json!(v));
            }
        }
        if !c.allowed_oauth_flows.is_empty() {
            s.insert("AllowedOAuthFlowsUserPoolClient".into(), Value::Bool(true));
        }
        clients::create_client(cx, &p.id, Some(&c.id), &c.name, c.secret.clone(), &s)
            .map_err(|e| CognitoError::invalid(format!("client {:?}: {}", c.id, e.message)))?;
    }
    for g in &p.groups {
        let input = serde_json::from_value(json!({"UserPoolId": p.id, "GroupName": g}))
            .map_err(|e| CognitoError::invalid(e.to_string()))?;
        groups::create_group(cx, input)?;
    }
    Ok(())
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
