//! Create/Describe/List/Update/DeleteUserPoolClient.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::pools::secs;
use super::{check_limit, paged, pool};
use crate::clock::LOWER_ALNUM;
use crate::cognito::Cognito;
use crate::cognito::error::{CognitoError, Exception, Result};
use crate::cognito::model::{Client, IdentityProvider, Pool, ResourceServer};

const SETTINGS: &[&str] = &[
    "RefreshTokenValidity",
    "AccessTokenValidity",
    "IdTokenValidity",
    "TokenValidityUnits",
    "ReadAttributes",
    "WriteAttributes",
    "ExplicitAuthFlows",
    "SupportedIdentityProviders",
    "CallbackURLs",
    "LogoutURLs",
    "DefaultRedirectURI",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "AnalyticsConfiguration",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData",
    "AuthSessionValidity",
    "RefreshTokenRotation",
];

const AUTH_FLOWS: &[&str] = &[
    "ADMIN_NO_SRP_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY",
    "USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
];

const STANDARD_SCOPES: &[&str] = &[
    "phone",
    "email",
    "openid",
    "profile",
    "aws.cognito.signin.user.admin",
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateIn {
    user_pool_id: String,
    client_name: String,
    #[serde(default)]
    generate_secret: bool,
    #[serde(flatten)]
    settings: Map<String, Value>,
}

fn strings(settings: &Map<String, Value>, key: &str) -> Result<Vec<String>> {
    match settings.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    CognitoError::new(
                        Exception::Serialization,
                        format!("{key} must be a list of strings"),
                    )
                })
            })
            .collect(),
        Some(_) => Err(CognitoError::new(
            Exception::Serialization,
            format!("{key} must be a list of strings"),
        )),
    }
}

/// Is `url` acceptable as a callback or sign-out URL: https, or http on localhost.
/// The host is read with the WHATWG URL parser, as browsers read it (a backslash ends the
/// authority: `http://evil.example\@x.localhost/` goes to `evil.example`).
pub fn acceptable_redirect(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    match parsed.scheme() {
        "https" => parsed.host_str().is_some(),
        "http" => parsed
            .host_str()
            .is_some_and(|h| h == "localhost" || h.ends_with(".localhost")),
        // App deep links such as myapp://callback are allowed.
        _ => url.contains("://"),
    }
}

fn validate_validity(
    settings: &Map<String, Value>,
    key: &str,
    unit_key: &str,
    min_s: i64,
    max_s: i64,
) -> Result<()> {
    let Some(n) = settings.get(key).and_then(Value::as_i64) else {
        return Ok(());
    };
    let default_unit = if key == "RefreshTokenValidity" {
        "days"
    } else {
        "hours"
    };
    let unit = settings
        .get("TokenValidityUnits")
        .and_then(|u| u.get(unit_key))
        .and_then(Value::as_str)
        .unwrap_or(default_unit);
    let s = n * match unit {
        "seconds" => 1,
        "minutes" => 60,
        "hours" => 3600,
        _ => 86400,
    };
    if !(min_s..=max_s).contains(&s) {
        return Err(CognitoError::invalid(format!(
            "{key} {n} {unit} is out of range: it must be between {min_s} and {max_s} seconds."
        )));
    }
    Ok(())
}

fn validate(
    cx: &Cognito,
    pool: &Pool,
    settings: &Map<String, Value>,
    has_secret: bool,
) -> Result<Map<String, Value>> {
    for flow in strings(settings, "ExplicitAuthFlows")? {
        if !AUTH_FLOWS.contains(&flow.as_str()) {
            return Err(CognitoError::invalid(format!(
                "Invalid ExplicitAuthFlows value: {flow}"
            )));
        }
    }
    let flows = strings(settings, "ExplicitAuthFlows")?;
    if flows.iter().any(|f| f.starts_with("ALLOW_"))
        && flows.iter().any(|f| !f.starts_with("ALLOW_"))
    {
        return Err(CognitoError::invalid(
            "Cannot mix legacy and ALLOW_ prefixed ExplicitAuthFlows.",
        ));
    }
    for p in strings(settings, "SupportedIdentityProviders")? {
        if p != "COGNITO" && cx.store.get::<IdentityProvider>(&pool.id, &p)?.is_none() {
            return Err(CognitoError::invalid(format!(
                "The provider {p} does not exist for User Pool {}",
                pool.id
            )));
        }
    }
    for key in ["CallbackURLs", "LogoutURLs"] {
        for url in strings(settings, key)? {
            if !acceptable_redirect(&url) {
                return Err(CognitoError::invalid(format!(
                    "{url} is not a valid URL for {key}: use HTTPS, except for http://localhost."
                )));
            }
        }
    }
    if let Some(d) = settings.get("DefaultRedirectURI").and_then(Value::as_str)
        && !strings(settings, "CallbackURLs")?.iter().any(|c| c == d)
    {
        return Err(CognitoError::invalid(
            "DefaultRedirectURI must be one of the CallbackURLs.",
        ));
    }
    let oauth_flows = strings(settings, "AllowedOAuthFlows")?;
    for f in &oauth_flows {
        if !["code", "implicit", "client_credentials"].contains(&f.as_str()) {
            return Err(CognitoError::invalid(format!(
                "Invalid AllowedOAuthFlows value: {f}"
            )));
        }
    }
    if oauth_flows.iter().any(|f| f == "client_credentials") {
        if oauth_flows.len() > 1 {
            return Err(CognitoError::invalid(
                "client_credentials flow can not be selected along with code flow or implicit flow.",
            ));
        }
        if !has_secret {
            return Err(CognitoError::invalid(
                "client_credentials flow can not be selected if client does not have a client secret.",
            ));
        }
    }
    for scope in strings(settings, "AllowedOAuthScopes")? {
        if !STANDARD_SCOPES.contains(&scope.as_str())
            && !resource_scope_exists(cx, &pool.id, &scope)?
        {
            return Err(CognitoError::new(
                Exception::ScopeDoesNotExist,
                format!("Invalid scope requested: {scope}"),
            ));
        }
    }
    validate_validity(settings, "AccessTokenValidity", "AccessToken", 300, 86400)?;
    validate_validity(settings, "IdTokenValidity", "IdToken", 300, 86400)?;
    validate_validity(
        settings,
        "RefreshTokenValidity",
        "RefreshToken",
        3600,
        315_360_000,
    )?;
    Ok(settings
        .iter()
        .filter(|(k, _)| SETTINGS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect())
}

fn resource_scope_exists(cx: &Cognito, pool_id: &str, scope: &str) -> Result<bool> {
    let Some((identifier, name)) = scope.rsplit_once('/') else {
        return Ok(false);
    };
    let Some(rs) = cx.store.get::<ResourceServer>(pool_id, identifier)? else {
        return Ok(false);
    };
    Ok(rs
        .scopes
        .iter()
        .any(|s| s.get("ScopeName").and_then(Value::as_str) == Some(name)))
}

fn with_defaults(mut settings: Map<String, Value>) -> Map<String, Value> {
    let defaults = [
        ("RefreshTokenValidity", json!(30)),
        (
            "ExplicitAuthFlows",
            json!([
                "ALLOW_CUSTOM_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH",
                "ALLOW_USER_SRP_AUTH"
            ]),
        ),
        ("AllowedOAuthFlowsUserPoolClient", json!(false)),
        ("EnableTokenRevocation", json!(true)),
        ("EnablePropagateAdditionalUserContextData", json!(false)),
        ("AuthSessionValidity", json!(3)),
        // The API default (the console picks ENABLED).
        ("PreventUserExistenceErrors", json!("LEGACY")),
    ];
    for (k, v) in defaults {
        settings.entry(k).or_insert(v);
    }
    settings
}

/// Create a client (also used to seed clients from the config file, with a fixed id).
pub fn create_client(
    cx: &Cognito,
    pool_id: &str,
    id: Option<&str>,
    name: &str,
    secret: Option<String>,
    settings: &Map<String, Value>,
) -> Result<Client> {
    let pool = pool(cx, pool_id)?;
    if name.is_empty() || name.chars().count() > 128 {
        return Err(CognitoError::validation(
            "clientName",
            &format!("'{name}'"),
            "Member must have length between 1 and 128",
        ));
    }
    let settings = with_defaults(validate(cx, &pool, settings, secret.is_some())?);
    let now = cx.clock.now_millis();
    let client_id = id
        .map(str::to_owned)
        .unwrap_or_else(|| cx.entropy.string_from(LOWER_ALNUM, 26));
    let client = Client {
        pool_id: pool.id.clone(),
        client_id: client_id.clone(),
        name: name.to_owned(),
        secret,
        created: now,
        modified: now,
        settings,
    };
    cx.store
        .insert(&pool.id, &client_id, &client)
        .map_err(|_| CognitoError::invalid(format!("Client {client_id} already exists.")))?;
    Ok(client)
}

pub fn create(cx: &Cognito, input: CreateIn) -> Result<Value> {
    let secret = input
        .generate_secret
        .then(|| cx.entropy.string_from(LOWER_ALNUM, 52));
    let client = create_client(
        cx,
        &input.user_pool_id,
        None,
        &input.client_name,
        secret,
        &input.settings,
    )?;
    Ok(json!({ "UserPoolClient": describe_client(&client) }))
}

pub fn describe_client(c: &Client) -> Value {
    let mut out = c.settings.clone();
    out.insert("UserPoolId".into(), json!(c.pool_id));
    out.insert("ClientName".into(), json!(c.name));
    out.insert("ClientId".into(), json!(c.client_id));
    if let Some(s) = &c.secret {
        out.insert("ClientSecret".into(), json!(s));
    }
    out.insert("CreationDate".into(), json!(secs(c.created)));
    out.insert("LastModifiedDate".into(), json!(secs(c.modified)));
    Value::Object(out)
}

/// Find a pool's client or fail as AWS does.
pub fn client(cx: &Cognito, pool_id: &str, client_id: &str) -> Result<Client> {
    pool(cx, pool_id)?;
    cx.store
        .get(pool_id, client_id)?
        .ok_or_else(|| CognitoError::client_not_found(client_id))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientIdIn {
    user_pool_id: String,
    client_id: String,
}

pub fn describe(cx: &Cognito, input: ClientIdIn) -> Result<Value> {
    let c = client(cx, &input.user_pool_id, &input.client_id)?;
    Ok(json!({ "UserPoolClient": describe_client(&c) }))
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
    let clients: Vec<Client> = cx.store.list(Some(&input.user_pool_id))?;
    paged(
        &clients,
        "UserPoolClients",
        input.next_token.as_deref(),
        max,
        |c| json!({"ClientId": c.client_id, "UserPoolId": c.pool_id, "ClientName": c.name}),
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateIn {
    user_pool_id: String,
    client_id: String,
    client_name: Option<String>,
    #[serde(flatten)]
    settings: Map<String, Value>,
}

pub fn update(cx: &Cognito, input: UpdateIn) -> Result<Value> {
    let mut c = client(cx, &input.user_pool_id, &input.client_id)?;
    let pool = pool(cx, &input.user_pool_id)?;
    // Like AWS, an update replaces every setting: what is not given returns to its default.
    c.settings = with_defaults(validate(cx, &pool, &input.settings, c.secret.is_some())?);
    if let Some(name) = input.client_name {
        c.name = name;
    }
    c.modified = cx.clock.now_millis();
    cx.store.put(&c.pool_id, &c.client_id, &c)?;
    Ok(json!({ "UserPoolClient": describe_client(&c) }))
}

pub fn delete(cx: &Cognito, input: ClientIdIn) -> Result<Value> {
    let c = client(cx, &input.user_pool_id, &input.client_id)?;
    cx.store.delete::<Client>(&c.pool_id, &c.client_id)?;
    Ok(json!({}))
}

/// Find a client by id alone (the public, client-authenticated operations).
pub fn client_by_id(cx: &Cognito, client_id: &str) -> Result<Client> {
    cx.store
        .find::<Client>(client_id)?
        .map(|(_, c)| c)
        .ok_or_else(|| CognitoError::client_not_found(client_id))
}

#[cfg(test)]
mod tests {
    use super::acceptable_redirect;

    #[test]
    fn redirect_rules() {
        for (url, ok) in [
            ("https://app.example.com/cb", true),
            ("http://localhost:3000/cb", true),
            ("http://localhost/cb", true),
            ("http://app.localhost:8080", true),
            ("http://example.com/cb", false),
            ("myapp://callback", true),
            ("not a url", false),
            ("http://evil.example\\@x.localhost/cb", false),
            ("http://x.localhost@evil.example/cb", false),
            ("http://localhost.evil.example/cb", false),
        ] {
            assert_eq!(acceptable_redirect(url), ok, "{url}");
        }
    }
}
