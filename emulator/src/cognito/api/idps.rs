//! Identity providers (Create/Describe/List/Update/Delete, GetIdentityProviderByIdentifier)
//! and resource servers.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::pools::secs;
use super::{check_limit, paged, pool};
use crate::cognito::Cognito;
use crate::cognito::error::{CognitoError, Exception, Result};
use crate::cognito::model::{IdentityProvider, ResourceServer};

const PROVIDER_TYPES: &[&str] = &[
    "SAML",
    "Facebook",
    "Google",
    "LoginWithAmazon",
    "SignInWithApple",
    "OIDC",
];
const OIDC_REQUIRED: &[&str] = &[
    "client_id",
    "authorize_scopes",
    "attributes_request_method",
    "oidc_issuer",
];
const OIDC_ENDPOINTS: &[&str] = &["authorize_url", "token_url", "attributes_url", "jwks_uri"];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateIn {
    user_pool_id: String,
    provider_name: String,
    provider_type: String,
    provider_details: Map<String, Value>,
    attribute_mapping: Option<Map<String, Value>>,
    idp_identifiers: Option<Vec<String>>,
}

fn validate_name(name: &str) -> Result<()> {
    let len = name.chars().count();
    if !(1..=32).contains(&len) || name.contains('_') || name.chars().any(char::is_whitespace) {
        return Err(CognitoError::validation(
            "providerName",
            &format!("'{name}'"),
            "Member must satisfy regular expression pattern: [^_\\p{Z}][\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}][^_\\p{Z}]+",
        ));
    }
    if name.eq_ignore_ascii_case("cognito") {
        return Err(CognitoError::invalid(format!(
            "Provider name {name} is reserved."
        )));
    }
    Ok(())
}

/// Validate OIDC `ProviderDetails` and fill the members DescribeIdentityProvider adds.
fn validate_details(
    provider_type: &str,
    details: &Map<String, Value>,
) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for (k, v) in details {
        let Some(s) = v.as_str() else {
            return Err(CognitoError::new(
                Exception::Serialization,
                format!("ProviderDetails.{k} must be a string"),
            ));
        };
        out.insert(k.clone(), json!(s));
    }
    if provider_type != "OIDC" {
        return Ok(out);
    }
    for key in OIDC_REQUIRED.iter().chain(OIDC_ENDPOINTS) {
        if out
            .get(*key)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(CognitoError::invalid(format!(
                "Missing required value for ProviderDetails: {key}. The emulator does not run OIDC discovery, so give {} explicitly.",
                OIDC_ENDPOINTS.join(", ")
            )));
        }
    }
    let method = out["attributes_request_method"].as_str().unwrap_or("");
    if method != "GET" && method != "POST" {
        return Err(CognitoError::invalid(format!(
            "attributes_request_method must be GET or POST, got {method}."
        )));
    }
    let scopes = out["authorize_scopes"].as_str().unwrap_or("");
    if !scopes.split(' ').any(|s| s == "openid") {
        return Err(CognitoError::invalid(
            "authorize_scopes must contain openid.",
        ));
    }
    for key in OIDC_ENDPOINTS.iter().chain(&["oidc_issuer"]) {
        let url = out[*key].as_str().unwrap_or("");
        if !url.starts_with("https://") && !url.starts_with("http://") {
            return Err(CognitoError::invalid(format!(
                "{key} must be an http(s) URL, got {url}."
            )));
        }
    }
    out.entry("attributes_url_add_attributes")
        .or_insert(json!("false"));
    Ok(out)
}

fn check_identifiers(cx: &Cognito, pool_id: &str, name: &str, ids: &[String]) -> Result<()> {
    let others: Vec<IdentityProvider> = cx.store.list(Some(pool_id))?;
    for id in ids {
        if id.is_empty() || id.chars().count() > 40 {
            return Err(CognitoError::invalid(format!(
                "Invalid IdpIdentifier {id}: 1 to 40 characters."
            )));
        }
        if others
            .iter()
            .any(|o| o.name != name && o.identifiers.contains(id))
        {
            return Err(CognitoError::invalid(format!(
                "Duplicate identifier {id}: another provider of the pool uses it."
            )));
        }
    }
    Ok(())
}

/// Create an identity provider (also used to seed providers from the config file).
pub fn create_provider(cx: &Cognito, input: CreateIn) -> Result<IdentityProvider> {
    pool(cx, &input.user_pool_id)?;
    validate_name(&input.provider_name)?;
    if !PROVIDER_TYPES.contains(&input.provider_type.as_str()) {
        return Err(CognitoError::validation(
            "providerType",
            &format!("'{}'", input.provider_type),
            &format!(
                "Member must satisfy enum value set: [{}]",
                PROVIDER_TYPES.join(", ")
            ),
        ));
    }
    let details = validate_details(&input.provider_type, &input.provider_details)?;
    let identifiers = input.idp_identifiers.unwrap_or_default();
    check_identifiers(cx, &input.user_pool_id, &input.provider_name, &identifiers)?;
    let mapping = input.attribute_mapping.unwrap_or_else(|| {
        let mut m = Map::new();
        if input.provider_type == "OIDC" {
            m.insert("username".into(), json!("sub"));
        }
        m
    });
    let now = cx.clock.now_millis();
    let idp = IdentityProvider {
        pool_id: input.user_pool_id.clone(),
        name: input.provider_name.clone(),
        provider_type: input.provider_type,
        details,
        attribute_mapping: mapping,
        identifiers,
        created: now,
        modified: now,
    };
    cx.store
        .insert(&idp.pool_id, &idp.name, &idp)
        .map_err(|_| {
            CognitoError::new(
                Exception::DuplicateProvider,
                format!(
                    "A provider with the name {} already exists in this user pool.",
                    idp.name
                ),
            )
        })?;
    Ok(idp)
}

pub fn create(cx: &Cognito, input: CreateIn) -> Result<Value> {
    let idp = create_provider(cx, input)?;
    Ok(json!({ "IdentityProvider": describe_idp(&idp) }))
}

fn describe_idp(i: &IdentityProvider) -> Value {
    json!({
        "UserPoolId": i.pool_id, "ProviderName": i.name, "ProviderType": i.provider_type,
        "ProviderDetails": i.details, "AttributeMapping": i.attribute_mapping, "IdpIdentifiers": i.identifiers,
        "LastModifiedDate": secs(i.modified), "CreationDate": secs(i.created),
    })
}

pub fn provider(cx: &Cognito, pool_id: &str, name: &str) -> Result<IdentityProvider> {
    pool(cx, pool_id)?;
    cx.store
        .get(pool_id, name)?
        .ok_or_else(|| CognitoError::not_found(format!("Identity provider {name} does not exist.")))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NameIn {
    user_pool_id: String,
    provider_name: String,
}

pub fn describe(cx: &Cognito, input: NameIn) -> Result<Value> {
    Ok(
        json!({ "IdentityProvider": describe_idp(&provider(cx, &input.user_pool_id, &input.provider_name)?) }),
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListIn {
    user_pool_id: String,
    max_results: Option<i64>,
    next_token: Option<String>,
}

pub fn list(cx: &Cognito, input: ListIn) -> Result<Value> {
    pool(cx, &input.user_pool_id)?;
    let max = check_limit("maxResults", input.max_results, 1, 60, 60)?;
    let all: Vec<IdentityProvider> = cx.store.list(Some(&input.user_pool_id))?;
    paged(
        &all,
        "Providers",
        input.next_token.as_deref(),
        max,
        |i| json!({"ProviderName": i.name, "ProviderType": i.provider_type, "LastModifiedDate": secs(i.modified), "CreationDate": secs(i.created)}),
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateIn {
    user_pool_id: String,
    provider_name: String,
    provider_details: Option<Map<String, Value>>,
    attribute_mapping: Option<Map<String, Value>>,
    idp_identifiers: Option<Vec<String>>,
}

pub fn update(cx: &Cognito, input: UpdateIn) -> Result<Value> {
    let mut idp = provider(cx, &input.user_pool_id, &input.provider_name)?;
    if let Some(d) = input.provider_details {
        // Details are merged: members not given keep their value, as in AWS.
        let mut merged = idp.details.clone();
        merged.extend(d);
        idp.details = validate_details(&idp.provider_type, &merged)?;
    }
    if let Some(m) = input.attribute_mapping {
        idp.attribute_mapping = m;
    }
    if let Some(ids) = input.idp_identifiers {
        check_identifiers(cx, &idp.pool_id, &idp.name, &ids)?;
        idp.identifiers = ids;
    }
    idp.modified = cx.clock.now_millis();
    cx.store.put(&idp.pool_id, &idp.name, &idp)?;
    Ok(json!({ "IdentityProvider": describe_idp(&idp) }))
}

pub fn delete(cx: &Cognito, input: NameIn) -> Result<Value> {
    let idp = provider(cx, &input.user_pool_id, &input.provider_name)?;
    cx.store
        .delete::<IdentityProvider>(&idp.pool_id, &idp.name)?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ByIdentifierIn {
    user_pool_id: String,
    idp_identifier: String,
}

pub fn by_identifier(cx: &Cognito, input: ByIdentifierIn) -> Result<Value> {
    pool(cx, &input.user_pool_id)?;
    let all: Vec<IdentityProvider> = cx.store.list(Some(&input.user_pool_id))?;
    let idp = all
        .into_iter()
        .find(|i| i.identifiers.contains(&input.idp_identifier))
        .ok_or_else(|| {
            CognitoError::not_found(format!(
                "Identity provider with identifier {} does not exist.",
                input.idp_identifier
            ))
        })?;
    Ok(json!({ "IdentityProvider": describe_idp(&idp) }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateRsIn {
    user_pool_id: String,
    identifier: String,
    name: String,
    scopes: Option<Vec<Value>>,
}

pub fn create_resource_server(cx: &Cognito, input: CreateRsIn) -> Result<Value> {
    pool(cx, &input.user_pool_id)?;
    if input.identifier.is_empty() || input.identifier.chars().count() > 256 {
        return Err(CognitoError::validation(
            "identifier",
            &format!("'{}'", input.identifier),
            "Member must have length between 1 and 256",
        ));
    }
    let scopes = input.scopes.unwrap_or_default();
    if scopes.len() > 100 {
        return Err(CognitoError::invalid(
            "A resource server can have at most 100 scopes.",
        ));
    }
    for s in &scopes {
        let name = s.get("ScopeName").and_then(Value::as_str).unwrap_or("");
        let ok = !name.is_empty()
            && name.chars().count() <= 256
            && !name
                .chars()
                .any(|c| c.is_whitespace() || c == '"' || c == '\\');
        if !ok || s.get("ScopeDescription").and_then(Value::as_str).is_none() {
            return Err(CognitoError::invalid(format!(
                "Invalid scope {s}: ScopeName and ScopeDescription are required."
            )));
        }
    }
    let rs = ResourceServer {
        pool_id: input.user_pool_id,
        identifier: input.identifier,
        name: input.name,
        scopes,
    };
    cx.store
        .insert(&rs.pool_id, &rs.identifier, &rs)
        .map_err(|_| {
            CognitoError::invalid(format!(
                "A resource server with identifier {} already exists in this user pool.",
                rs.identifier
            ))
        })?;
    Ok(json!({ "ResourceServer": describe_rs(&rs) }))
}

fn describe_rs(rs: &ResourceServer) -> Value {
    json!({"UserPoolId": rs.pool_id, "Identifier": rs.identifier, "Name": rs.name, "Scopes": rs.scopes})
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RsIdIn {
    user_pool_id: String,
    identifier: String,
}

fn resource_server(cx: &Cognito, input: &RsIdIn) -> Result<ResourceServer> {
    pool(cx, &input.user_pool_id)?;
    cx.store
        .get(&input.user_pool_id, &input.identifier)?
        .ok_or_else(|| {
            CognitoError::not_found(format!(
                "Resource server {} does not exist.",
                input.identifier
            ))
        })
}

pub fn describe_resource_server(cx: &Cognito, input: RsIdIn) -> Result<Value> {
    Ok(json!({ "ResourceServer": describe_rs(&resource_server(cx, &input)?) }))
}

pub fn delete_resource_server(cx: &Cognito, input: RsIdIn) -> Result<Value> {
    let rs = resource_server(cx, &input)?;
    cx.store
        .delete::<ResourceServer>(&rs.pool_id, &rs.identifier)?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRsIn {
    user_pool_id: String,
    max_results: i64,
    next_token: Option<String>,
}

pub fn list_resource_servers(cx: &Cognito, input: ListRsIn) -> Result<Value> {
    pool(cx, &input.user_pool_id)?;
    let max = check_limit("maxResults", Some(input.max_results), 1, 50, 50)?;
    let all: Vec<ResourceServer> = cx.store.list(Some(&input.user_pool_id))?;
    paged(
        &all,
        "ResourceServers",
        input.next_token.as_deref(),
        max,
        describe_rs,
    )
}
