//! AdminLinkProviderForUser and AdminDisableProviderForUser: linking a federated identity to a
//! native user, with the rules real Cognito applies (see shared/reference/cognito.md).

use serde::Deserialize;
use serde_json::{Value, json};

use super::pool;
use crate::cognito::Cognito;
use crate::cognito::attributes;
use crate::cognito::error::{CognitoError, Exception, Result};
use crate::cognito::model::{IdentityProvider, Link, Pool};
use crate::cognito::user;
use crate::store::{StoreError, UserRow};

/// Cognito allows at most this many linked identities per user.
const MAX_LINKS: usize = 5;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProviderUser {
    provider_name: Option<String>,
    provider_attribute_name: Option<String>,
    provider_attribute_value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LinkIn {
    user_pool_id: String,
    destination_user: ProviderUser,
    source_user: ProviderUser,
}

/// The pool's provider named by a source user; unknown names are refused. Real Cognito's
/// behaviour for AdminLinkProviderForUser is not documented (AdminDisableProviderForUser
/// requires a configured provider); the emulator refuses them so the guide's
/// `ProviderName: 'providerName'` mistake is visible.
fn source_provider(
    cx: &Cognito,
    pool: &Pool,
    member: &str,
    name: &str,
) -> Result<IdentityProvider> {
    cx.store.get::<IdentityProvider>(&pool.id, name)?.ok_or_else(|| {
        CognitoError::invalid(format!(
            "{member}.ProviderName '{name}' is not an identity provider of user pool {} (provider names are case-sensitive).",
            pool.id
        ))
    })
}

fn required<'a>(value: &'a Option<String>, member: &str) -> Result<&'a str> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| CognitoError::validation(member, "null", "Member must not be null"))
}

/// The `identities` attribute as a list of JSON objects.
pub fn identities(u: &UserRow) -> Vec<Value> {
    u.attribute("identities")
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}

pub fn set_identities(u: &mut UserRow, list: &[Value]) {
    if list.is_empty() {
        attributes::remove(&mut u.attributes, "identities");
    } else {
        attributes::upsert(
            &mut u.attributes,
            "identities",
            &Value::Array(list.to_vec()).to_string(),
        );
    }
}

pub fn link(cx: &Cognito, input: LinkIn) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    let dest_provider = required(
        &input.destination_user.provider_name,
        "destinationUser.providerName",
    )?;
    let dest_name = required(
        &input.destination_user.provider_attribute_value,
        "destinationUser.providerAttributeValue",
    )?;
    let source_name = required(&input.source_user.provider_name, "sourceUser.providerName")?;
    let source_attr = required(
        &input.source_user.provider_attribute_name,
        "sourceUser.providerAttributeName",
    )?;
    let source_value = required(
        &input.source_user.provider_attribute_value,
        "sourceUser.providerAttributeValue",
    )?;
    if dest_provider != "Cognito" {
        return Err(CognitoError::invalid(format!(
            "DestinationUser.ProviderName must be Cognito, got '{dest_provider}'."
        )));
    }
    let idp = source_provider(cx, &pool, "SourceUser", source_name)?;
    let mapped = idp
        .attribute_mapping
        .values()
        .any(|v| v.as_str() == Some(source_attr));
    if source_attr != "Cognito_Subject" && !mapped {
        return Err(CognitoError::invalid(format!(
            "SourceUser.ProviderAttributeName '{source_attr}' is neither Cognito_Subject nor a mapped attribute of {source_name}."
        )));
    }
    let mut dest = user::get(cx, &pool, dest_name)?;
    let federated_name = format!("{source_name}_{source_value}");
    if cx
        .store
        .user_by_username(&pool.id, &pool.username_key(&federated_name))?
        .is_some()
    {
        return Err(CognitoError::invalid(
            "Merging is not currently supported, provide a SourceUser that has not been signed up in order to link",
        ));
    }
    if let Some(existing) = cx
        .store
        .get::<Link>(&pool.id, &Link::key(source_name, source_value))?
    {
        return Err(CognitoError::invalid(if existing.user_sub == dest.sub {
            "SourceUser is already linked to DestinationUser"
        } else {
            "SourceUser is already linked to another user"
        }));
    }
    let mut list = identities(&dest);
    if list.len() >= MAX_LINKS {
        return Err(CognitoError::new(
            Exception::LimitExceeded,
            format!("A user can have at most {MAX_LINKS} linked identities."),
        ));
    }
    let now = cx.clock.now_millis();
    list.push(json!({
        "userId": source_value, "providerName": source_name, "providerType": idp.provider_type,
        "issuer": idp.details.get("oidc_issuer").cloned().unwrap_or(Value::Null),
        "primary": "false", "dateCreated": now.to_string(),
    }));
    set_identities(&mut dest, &list);
    dest.modified = now;
    let link = Link {
        provider: source_name.to_owned(),
        value: source_value.to_owned(),
        user_sub: dest.sub.clone(),
        created: now,
    };
    // The link and the user's identities land together; a link made meanwhile by a concurrent
    // call is refused as the check above refuses it.
    let key = Link::key(source_name, source_value);
    match cx.store.insert_with_user(&pool.id, &key, &link, &dest) {
        Err(StoreError::Conflict(_)) => Err(CognitoError::invalid(
            "SourceUser is already linked to another user",
        )),
        r => Ok(r.map(|()| json!({}))?),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DisableIn {
    user_pool_id: String,
    user: ProviderUser,
}

pub fn disable(cx: &Cognito, input: DisableIn) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    let provider = required(&input.user.provider_name, "user.providerName")?;
    let value = required(
        &input.user.provider_attribute_value,
        "user.providerAttributeValue",
    )?;
    if provider == "Cognito" {
        let mut u = user::get(cx, &pool, value)?;
        u.enabled = false;
        cx.store.update_user(&u)?;
        return Ok(json!({}));
    }
    source_provider(cx, &pool, "User", provider)?;
    let key = Link::key(provider, value);
    if let Some(link) = cx.store.get::<Link>(&pool.id, &key)? {
        let mut dest = cx.store.user_by_sub(&pool.id, &link.user_sub)?;
        if let Some(dest) = &mut dest {
            let list: Vec<Value> = identities(dest)
                .into_iter()
                .filter(|i| !(i["providerName"] == provider && i["userId"] == value))
                .collect();
            set_identities(dest, &list);
            dest.modified = cx.clock.now_millis();
        }
        // The user's identities and the link go together.
        cx.store
            .delete_with_user::<Link>(&pool.id, &key, dest.as_ref())?;
    } else if let Some(mut fed) = cx
        .store
        .user_by_username(&pool.id, &pool.username_key(&format!("{provider}_{value}")))?
    {
        fed.enabled = false;
        cx.store.update_user(&fed)?;
    }
    Ok(json!({}))
}
