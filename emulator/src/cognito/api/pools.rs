//! CreateUserPool, DescribeUserPool, ListUserPools, UpdateUserPool, DeleteUserPool,
//! AddCustomAttributes and the UserPoolDomain operations.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{check_limit, paged, pool};
use crate::clock::ALNUM;
use crate::cognito::Cognito;
use crate::cognito::attributes::{self, STANDARD};
use crate::cognito::error::{CognitoError, Exception, Result};
use crate::cognito::keys::KeyRing;
use crate::cognito::model::{Domain, Pool};
use crate::cognito::user;
use crate::store::{StoreError, UniqueRule};

/// Epoch seconds with a fraction: how the AWS JSON protocol sends timestamps.
pub fn secs(millis: i64) -> f64 {
    millis as f64 / 1000.0
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateIn {
    pool_name: String,
    #[serde(flatten)]
    settings: Map<String, Value>,
}

/// Settings that Create/UpdateUserPool store as given (after validation).
const SETTINGS: &[&str] = &[
    "Policies",
    "DeletionProtection",
    "LambdaConfig",
    "AutoVerifiedAttributes",
    "AliasAttributes",
    "UsernameAttributes",
    "SmsVerificationMessage",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "VerificationMessageTemplate",
    "SmsAuthenticationMessage",
    "UserAttributeUpdateSettings",
    "MfaConfiguration",
    "DeviceConfiguration",
    "EmailConfiguration",
    "SmsConfiguration",
    "UserPoolTags",
    "AdminCreateUserConfig",
    "UserPoolAddOns",
    "UsernameConfiguration",
    "AccountRecoverySetting",
    "UserPoolTier",
    "Schema",
];

fn validate_name(name: &str) -> Result<()> {
    let ok_char = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_+=,.@-".contains(c);
    if name.is_empty() || name.chars().count() > 128 || !name.chars().all(ok_char) {
        return Err(CognitoError::validation(
            "poolName",
            &format!("'{name}'"),
            "Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+",
        ));
    }
    Ok(())
}

fn check_values(key: &str, values: Option<&Value>, allowed: &[&str]) -> Result<()> {
    let Some(values) = values else { return Ok(()) };
    let Some(items) = values.as_array() else {
        return Err(CognitoError::new(
            Exception::Serialization,
            format!("{key} must be a list"),
        ));
    };
    for v in items {
        let s = v.as_str().unwrap_or("");
        if !allowed.contains(&s) {
            return Err(CognitoError::invalid(format!(
                "{key} has an invalid value: {s}. Allowed: {}",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

/// `Policies.SignInPolicy.AllowedFirstAuthFactors`: known factors, PASSWORD among them, and
/// passwordless ones only above the Lite tier (ESSENTIALS is the default tier of new pools).
fn check_sign_in_policy(given: &Map<String, Value>) -> Result<()> {
    let Some(factors) = given
        .get("Policies")
        .and_then(|p| p.get("SignInPolicy"))
        .and_then(|s| s.get("AllowedFirstAuthFactors"))
    else {
        return Ok(());
    };
    check_values(
        "AllowedFirstAuthFactors",
        Some(factors),
        &["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"],
    )?;
    let list: Vec<&str> = factors
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !list.contains(&"PASSWORD") {
        return Err(CognitoError::invalid(
            "AllowedFirstAuthFactors must include PASSWORD.",
        ));
    }
    let lite = given.get("UserPoolTier").and_then(Value::as_str) == Some("LITE");
    if lite && list.iter().any(|f| *f != "PASSWORD") {
        return Err(CognitoError::invalid(
            "Passwordless sign-in (EMAIL_OTP, SMS_OTP, WEB_AUTHN) requires the ESSENTIALS or PLUS feature plan; the user pool is LITE.",
        ));
    }
    Ok(())
}

/// Validate and keep the known settings; custom attributes from `Schema` are returned apart.
fn validate_settings(given: &Map<String, Value>) -> Result<(Map<String, Value>, Vec<Value>)> {
    check_values(
        "UsernameAttributes",
        given.get("UsernameAttributes"),
        &["email", "phone_number"],
    )?;
    check_values(
        "AliasAttributes",
        given.get("AliasAttributes"),
        &["email", "phone_number", "preferred_username"],
    )?;
    check_values(
        "AutoVerifiedAttributes",
        given.get("AutoVerifiedAttributes"),
        &["email", "phone_number"],
    )?;
    if given.contains_key("UsernameAttributes") && given.contains_key("AliasAttributes") {
        return Err(CognitoError::invalid(
            "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.",
        ));
    }
    check_sign_in_policy(given)?;
    if let Some(p) = given.get("Policies").and_then(|p| p.get("PasswordPolicy")) {
        let min = p.get("MinimumLength").and_then(Value::as_i64).unwrap_or(8);
        if !(6..=99).contains(&min) {
            return Err(CognitoError::validation(
                "policies.passwordPolicy.minimumLength",
                &min.to_string(),
                "Member must have value between 6 and 99",
            ));
        }
    }
    let mut custom = Vec::new();
    if let Some(schema) = given.get("Schema") {
        let Some(items) = schema.as_array() else {
            return Err(CognitoError::new(
                Exception::Serialization,
                "Schema must be a list",
            ));
        };
        for a in items {
            if let Some(c) = custom_attribute(a)? {
                custom.push(c);
            }
        }
    }
    let settings = given
        .iter()
        .filter(|(k, _)| SETTINGS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok((settings, custom))
}

/// A `SchemaAttributeType`: a standard attribute (kept in settings) or a custom one.
fn custom_attribute(a: &Value) -> Result<Option<Value>> {
    let name = a.get("Name").and_then(Value::as_str).unwrap_or("");
    if STANDARD.iter().any(|(n, _)| *n == name) {
        return Ok(None);
    }
    let bare = name.strip_prefix("custom:").unwrap_or(name);
    if bare.is_empty() || bare.chars().count() > 20 {
        return Err(CognitoError::invalid(format!(
            "Invalid custom attribute name: {name}. Names are 1 to 20 characters."
        )));
    }
    let ty = a
        .get("AttributeDataType")
        .and_then(Value::as_str)
        .unwrap_or("String");
    if !["String", "Number", "DateTime", "Boolean"].contains(&ty) {
        return Err(CognitoError::invalid(format!(
            "Invalid AttributeDataType {ty} for attribute {name}."
        )));
    }
    if a.get("Required") == Some(&Value::Bool(true)) {
        return Err(CognitoError::invalid(
            "Required custom attributes are not supported currently.",
        ));
    }
    let mut out = a.clone();
    out["Name"] = json!(format!("custom:{bare}"));
    out["AttributeDataType"] = json!(ty);
    out["DeveloperOnlyAttribute"] = json!(
        a.get("DeveloperOnlyAttribute")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    );
    out["Mutable"] = json!(a.get("Mutable").and_then(Value::as_bool).unwrap_or(true));
    out["Required"] = json!(false);
    Ok(Some(out))
}

/// Create a pool (also used to seed pools from the config file, with a fixed id).
pub fn create_pool(
    cx: &Cognito,
    id: Option<&str>,
    name: &str,
    given: &Map<String, Value>,
) -> Result<Pool> {
    validate_name(name)?;
    let (settings, schema) = validate_settings(given)?;
    let now = cx.clock.now_millis();
    let id = id
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{}_{}", cx.region, cx.entropy.string_from(ALNUM, 9)));
    let pool = Pool {
        id: id.clone(),
        name: name.to_owned(),
        created: now,
        modified: now,
        settings,
        schema,
        domain: None,
    };
    // The keys are drawn before the transaction, so that it only writes: the pool, its keys
    // and its uniqueness rules land together or not at all.
    let keys = KeyRing::generate(cx)?;
    let rules = rules(&pool);
    cx.store
        .write(|tx| {
            tx.insert(&id, "", &pool)?;
            keys.write(tx, &id)?;
            tx.set_unique_rules(&id, &rules)
        })
        .map_err(|e| match e {
            // Only the pool's insert can conflict: a new pool has no users for the rules to index.
            StoreError::Conflict(_) => {
                CognitoError::invalid(format!("User pool {id} already exists."))
            }
            e => e.into(),
        })?;
    cx.keys.add(&id, keys);
    Ok(pool)
}

/// Tell the store which attribute values identify one user of the pool (its uniqueness
/// index); see [`rules`].
pub fn unique_rules(cx: &Cognito, pool: &Pool) -> Result<()> {
    cx.store.set_unique_rules(&pool.id, &rules(pool))?;
    Ok(())
}

/// The pool's uniqueness rules: username attributes always, email and phone aliases once
/// verified, preferred_username as an alias; in a case-insensitive pool, email and
/// preferred_username compare without regard to case (AWS: "treats any variation in case as
/// the same user"). Usernames are unique by their own index.
fn rules(pool: &Pool) -> Vec<UniqueRule> {
    let usernames = pool.username_attributes();
    let aliases = pool.alias_attributes();
    let mut rules = Vec::new();
    for name in ["email", "phone_number", "preferred_username"] {
        let verified_only = if usernames.iter().any(|a| a == name) {
            false
        } else if aliases.iter().any(|a| a == name) {
            name != "preferred_username"
        } else {
            continue;
        };
        let fold = user::folds(pool, name);
        rules.push(UniqueRule {
            name,
            verified_only,
            fold,
        });
    }
    rules
}

pub fn create(cx: &Cognito, input: CreateIn) -> Result<Value> {
    let pool = create_pool(cx, None, &input.pool_name, &input.settings)?;
    Ok(json!({ "UserPool": describe_pool(cx, &pool)? }))
}

fn describe_pool(cx: &Cognito, pool: &Pool) -> Result<Value> {
    let mut out = Map::new();
    out.insert("Id".into(), json!(pool.id));
    out.insert("Name".into(), json!(pool.name));
    out.insert("Arn".into(), json!(pool.arn(&cx.region)));
    out.insert("CreationDate".into(), json!(secs(pool.created)));
    out.insert("LastModifiedDate".into(), json!(secs(pool.modified)));
    out.insert("MfaConfiguration".into(), json!("OFF"));
    out.insert(
        "EstimatedNumberOfUsers".into(),
        json!(cx.store.count_users(&pool.id)?),
    );
    let policy = pool.password_policy();
    out.insert("Policies".into(), json!({"PasswordPolicy": {
        "MinimumLength": policy.minimum_length, "RequireUppercase": policy.require_uppercase,
        "RequireLowercase": policy.require_lowercase, "RequireNumbers": policy.require_numbers,
        "RequireSymbols": policy.require_symbols, "TemporaryPasswordValidityDays": policy.temporary_validity_days,
    }}));
    out.insert("LambdaConfig".into(), json!({}));
    for (k, v) in &pool.settings {
        if k != "Schema" {
            out.insert(k.clone(), v.clone());
        }
    }
    out.insert(
        "SchemaAttributes".into(),
        Value::Array(attributes::schema(pool)),
    );
    if let Some(d) = &pool.domain {
        out.insert("Domain".into(), json!(d));
    }
    Ok(Value::Object(out))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PoolIdIn {
    user_pool_id: String,
}

pub fn describe(cx: &Cognito, input: PoolIdIn) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    Ok(json!({ "UserPool": describe_pool(cx, &pool)? }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListIn {
    max_results: i64,
    next_token: Option<String>,
}

pub fn list(cx: &Cognito, input: ListIn) -> Result<Value> {
    let max = check_limit("maxResults", Some(input.max_results), 1, 60, 60)?;
    let pools: Vec<Pool> = cx.store.list(None)?;
    paged(&pools, "UserPools", input.next_token.as_deref(), max, |p| {
        let lambda = p.settings.get("LambdaConfig").cloned().unwrap_or(json!({}));
        json!({"Id": p.id, "Name": p.name, "LambdaConfig": lambda, "CreationDate": secs(p.created), "LastModifiedDate": secs(p.modified)})
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateIn {
    user_pool_id: String,
    #[serde(flatten)]
    settings: Map<String, Value>,
}

pub fn update(cx: &Cognito, input: UpdateIn) -> Result<Value> {
    let mut pool = pool(cx, &input.user_pool_id)?;
    if input.settings.contains_key("UsernameAttributes") || input.settings.contains_key("Schema") {
        return Err(CognitoError::invalid(
            "UsernameAttributes and Schema cannot be changed by UpdateUserPool.",
        ));
    }
    let (settings, _) = validate_settings(&input.settings)?;
    // UpdateUserPool replaces the mutable settings: what is not given returns to its default.
    let keep = [
        "UsernameAttributes",
        "AliasAttributes",
        "Schema",
        "UsernameConfiguration",
    ];
    pool.settings.retain(|k, _| keep.contains(&k.as_str()));
    pool.settings.extend(settings);
    pool.modified = cx.clock.now_millis();
    cx.store.put(&pool.id, "", &pool)?;
    Ok(json!({}))
}

pub fn delete(cx: &Cognito, input: PoolIdIn) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    if pool
        .settings
        .get("DeletionProtection")
        .and_then(Value::as_str)
        == Some("ACTIVE")
    {
        return Err(CognitoError::invalid(format!(
            "The user pool {} cannot be deleted because deletion protection is activated.",
            pool.id
        )));
    }
    cx.store.delete_pool(&pool.id)?;
    cx.keys.forget(&pool.id);
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddCustomIn {
    user_pool_id: String,
    custom_attributes: Vec<Value>,
}

pub fn add_custom_attributes(cx: &Cognito, input: AddCustomIn) -> Result<Value> {
    let mut pool = pool(cx, &input.user_pool_id)?;
    for a in &input.custom_attributes {
        let Some(c) = custom_attribute(a)? else {
            return Err(CognitoError::invalid(
                "Standard attributes cannot be added as custom attributes.",
            ));
        };
        let name = c["Name"].as_str().unwrap_or_default().to_owned();
        if pool.is_custom_attribute(&name) {
            return Err(CognitoError::invalid(format!(
                "Existing attribute already has name {name}."
            )));
        }
        pool.schema.push(c);
    }
    pool.modified = cx.clock.now_millis();
    cx.store.put(&pool.id, "", &pool)?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DomainIn {
    domain: String,
    user_pool_id: String,
    custom_domain_config: Option<Value>,
}

pub fn create_domain(cx: &Cognito, input: DomainIn) -> Result<Value> {
    let mut pool = pool(cx, &input.user_pool_id)?;
    let custom = input.custom_domain_config.is_some();
    let valid =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (custom && c == '.');
    if input.domain.is_empty()
        || input.domain.len() > 63
        || !input.domain.chars().all(valid)
        || input.domain.starts_with('-')
    {
        return Err(CognitoError::validation(
            "domain",
            &format!("'{}'", input.domain),
            "Member must satisfy regular expression pattern: ^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$",
        ));
    }
    if pool.domain.is_some() {
        return Err(CognitoError::invalid(format!(
            "User pool {} already has a domain configured.",
            pool.id
        )));
    }
    if cx.store.find::<Domain>(&input.domain)?.is_some() {
        return Err(CognitoError::invalid(
            "Domain already associated with another user pool.",
        ));
    }
    let domain = Domain {
        domain: input.domain.clone(),
        pool_id: pool.id.clone(),
        custom,
    };
    cx.store.insert(&pool.id, &input.domain, &domain)?;
    pool.domain = Some(input.domain);
    cx.store.put(&pool.id, "", &pool)?;
    Ok(if custom {
        json!({"CloudFrontDomain": "localhost"})
    } else {
        json!({})
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeDomainIn {
    domain: String,
}

pub fn describe_domain(cx: &Cognito, input: DescribeDomainIn) -> Result<Value> {
    // AWS answers an unknown domain with an empty description, not an error.
    let Some((pool_id, d)) = cx.store.find::<Domain>(&input.domain)? else {
        return Ok(json!({"DomainDescription": {}}));
    };
    Ok(json!({"DomainDescription": {
        "UserPoolId": pool_id, "AWSAccountId": "000000000000", "Domain": d.domain,
        "S3Bucket": "", "CloudFrontDistribution": cx.base_url, "Version": "1", "Status": "ACTIVE",
    }}))
}

pub fn delete_domain(cx: &Cognito, input: DomainIn) -> Result<Value> {
    let mut pool = pool(cx, &input.user_pool_id)?;
    if pool.domain.as_deref() != Some(input.domain.as_str()) {
        return Err(CognitoError::invalid(format!(
            "No such domain or user pool exists: {}",
            input.domain
        )));
    }
    cx.store.delete::<Domain>(&pool.id, &input.domain)?;
    pool.domain = None;
    cx.store.put(&pool.id, "", &pool)?;
    Ok(json!({}))
}
