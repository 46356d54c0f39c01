//! App clients, identity providers and groups, as the describe/list operations and
//! CloudFormation both name their members, mapped to the config's types.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::fields::Fields;
use super::{ImportError, Note};
use crate::config::{ClientConfig, IdpConfig, PoolConfig, TokenValidityUnits};

/// The members of a client both shapes share (not its id, name or secret).
pub fn client(
    f: &mut Fields,
    c: &mut ClientConfig,
    notes: &mut Vec<Note>,
) -> Result<(), ImportError> {
    c.callback_urls = f.strings("CallbackURLs")?;
    c.logout_urls = f.strings("LogoutURLs")?;
    c.allowed_oauth_flows = f.strings("AllowedOAuthFlows")?;
    c.allowed_oauth_scopes = f.strings("AllowedOAuthScopes")?;
    c.supported_identity_providers = f.strings("SupportedIdentityProviders")?;
    c.explicit_auth_flows = f.strings("ExplicitAuthFlows")?;
    c.read_attributes = f.strings("ReadAttributes")?;
    c.write_attributes = f.strings("WriteAttributes")?;
    c.default_redirect_uri = f.string("DefaultRedirectURI")?;
    match f.bool("AllowedOAuthFlowsUserPoolClient")? {
        Some(false) if !c.allowed_oauth_flows.is_empty() => {
            let why = "the config enables OAuth whenever allowed_oauth_flows is set: the flows \
                       are imported disabled (left out)";
            notes.push(f.note("AllowedOAuthFlowsUserPoolClient", &json!(false), why));
            c.allowed_oauth_flows.clear();
        }
        _ => {}
    }
    validity(f, c, notes)?;
    c.auth_session_validity = f.int("AuthSessionValidity")?.filter(|n| *n != 3);
    c.prevent_user_existence_errors = f
        .string("PreventUserExistenceErrors")?
        .filter(|p| p != "LEGACY");
    c.enable_token_revocation = f.bool("EnableTokenRevocation")?.filter(|b| !b);
    f.skip_if("EnablePropagateAdditionalUserContextData", &json!(false));
    Ok(())
}

fn validity(
    f: &mut Fields,
    c: &mut ClientConfig,
    notes: &mut Vec<Note>,
) -> Result<(), ImportError> {
    c.access_token_validity = f.int("AccessTokenValidity")?;
    c.id_token_validity = f.int("IdTokenValidity")?;
    c.refresh_token_validity = f.int("RefreshTokenValidity")?;
    if let Some(mut u) = f.object("TokenValidityUnits")? {
        let units = TokenValidityUnits {
            access_token: u.string("AccessToken")?,
            id_token: u.string("IdToken")?,
            refresh_token: u.string("RefreshToken")?,
        };
        u.report_rest(notes);
        c.token_validity_units = Some(units);
    }
    // Cognito's default, 30 days, which DescribeUserPoolClient always shows.
    if c.refresh_token_validity == Some(30) && c.token_validity_units.is_none() {
        c.refresh_token_validity = None;
    }
    Ok(())
}

/// An identity provider; `None` (reported) when the config cannot hold its type.
pub fn provider(mut f: Fields, notes: &mut Vec<Note>) -> Result<Option<IdpConfig>, ImportError> {
    let name = f.required_string("ProviderName")?;
    let provider_type = f.required_string("ProviderType")?;
    if provider_type != "OIDC" {
        let why = format!(
            "{provider_type} provider {name}: the config holds OIDC providers only, ignored"
        );
        notes.push(Note::new(f.file(), f.path(), &json!(provider_type), why));
        return Ok(None);
    }
    let Some(mut d) = f.object("ProviderDetails")? else {
        return Err(f.error(
            "ProviderDetails",
            "missing (an OIDC provider needs its details)",
        ));
    };
    let endpoint = |d: &mut Fields, key: &str| -> Result<String, ImportError> {
        d.string(key)?.ok_or_else(|| {
            d.error(
                key,
                "missing: the emulator does not run OIDC discovery, so the provider needs \
                 authorize_url, token_url, attributes_url and jwks_uri (the describe output \
                 of a deployed pool has them)",
            )
        })
    };
    let idp = IdpConfig {
        name,
        provider_type,
        client_id: d.required_string("client_id")?,
        client_secret: d.string("client_secret")?,
        authorize_scopes: d.required_string("authorize_scopes")?,
        attributes_request_method: d
            .string("attributes_request_method")?
            .unwrap_or_else(|| "GET".into()),
        oidc_issuer: d.required_string("oidc_issuer")?,
        authorize_url: endpoint(&mut d, "authorize_url")?,
        token_url: endpoint(&mut d, "token_url")?,
        attributes_url: endpoint(&mut d, "attributes_url")?,
        jwks_uri: endpoint(&mut d, "jwks_uri")?,
        attribute_mapping: mapping(&mut f)?,
        idp_identifiers: f.strings("IdpIdentifiers")?,
    };
    d.skip_if("attributes_url_add_attributes", &json!("false"));
    d.report_rest(notes);
    f.report_rest(notes);
    Ok(Some(idp))
}

fn mapping(f: &mut Fields) -> Result<BTreeMap<String, String>, ImportError> {
    let Some(value) = f.take("AttributeMapping") else {
        return Ok(BTreeMap::new());
    };
    let object = value
        .as_object()
        .ok_or_else(|| f.error("AttributeMapping", "expected an object"))?;
    object
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            _ => Err(f.error(&format!("AttributeMapping.{k}"), "expected a string")),
        })
        .collect()
}

/// A group: its name is imported; description, precedence and role are reported.
pub fn group(
    mut f: Fields,
    fallback: Option<&str>,
    notes: &mut Vec<Note>,
) -> Result<String, ImportError> {
    let name = match (f.string("GroupName")?, fallback) {
        (Some(n), _) => n,
        (None, Some(n)) => n.to_owned(),
        (None, None) => f.required_string("GroupName")?,
    };
    f.report_rest(notes);
    Ok(name)
}

/// The scopes a client may have without resource servers (which the config cannot hold).
const STANDARD_SCOPES: &[&str] = &[
    "phone",
    "email",
    "openid",
    "profile",
    "aws.cognito.signin.user.admin",
];

/// A client may only name providers its pool has and scopes that exist (CreateUserPoolClient
/// refuses others): a provider that was not imported, or a resource server's scope, is taken
/// off the client and reported.
pub fn check_clients(pools: &mut [PoolConfig], notes: &mut Vec<Note>) {
    for pool in pools {
        let known: Vec<String> = pool
            .identity_providers
            .iter()
            .map(|i| i.name.clone())
            .collect();
        for c in &mut pool.clients {
            let dropped = take_unless(&mut c.supported_identity_providers, |p| {
                p == "COGNITO" || known.iter().any(|k| k == p)
            });
            for p in dropped {
                let why = format!(
                    "provider {p} is not among the imported providers (give its \
                     describe-identity-provider output); taken off the client"
                );
                let path = format!("client {}.SupportedIdentityProviders", c.id);
                notes.push(Note::new("(inputs)", &path, &json!(p), why));
            }
            let dropped = take_unless(&mut c.allowed_oauth_scopes, |s| {
                STANDARD_SCOPES.contains(&s)
            });
            for s in dropped {
                let why = "a resource server's scope: the config has no resource servers; \
                           taken off the client";
                let path = format!("client {}.AllowedOAuthScopes", c.id);
                notes.push(Note::new("(inputs)", &path, &json!(s), why));
            }
        }
    }
}

/// Keep the items `keep` accepts; return the others.
fn take_unless(items: &mut Vec<String>, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let (kept, dropped) = items.drain(..).partition(|i| keep(i));
    *items = kept;
    dropped
}
