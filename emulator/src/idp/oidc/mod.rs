//! The OIDC provider under `/cis/oidc`: authorization, token, userinfo, discovery, JWKS,
//! end-session and revocation. Logic functions take the IdP and return [`OAuthError`]s; the
//! handlers in each file only extract, call and map.

pub mod authorize;
pub mod discovery;
pub mod request;
pub mod session;
pub mod token;
pub mod userinfo;

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use serde_json::{Map, Value, json};

use super::error::OAuthError;
use super::model::Grant;
use crate::store::IdpUserRow;

/// Form or query parameters; a repeated parameter is an error (OIDC Core 3.1.2.1 / RFC 6749 3.1).
#[derive(Debug, Default, Clone)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    pub fn parse(pairs: Vec<(String, String)>) -> Result<Self, OAuthError> {
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            if map.insert(k.clone(), v).is_some() {
                return Err(OAuthError::invalid_request(format!(
                    "parameter '{k}' was provided more than once"
                )));
            }
        }
        Ok(Self(map))
    }

    /// A parameter, with an empty value read as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| {
            OAuthError::invalid_request(format!("missing required parameter '{name}'"))
        })
    }

    /// Parameter names only (for the journal: values may be secrets).
    pub fn names(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }

    /// Values safe to journal: everything but secrets, codes and tokens.
    pub fn redacted(&self) -> Value {
        const SECRET: &[&str] = &[
            "client_secret",
            "code",
            "code_verifier",
            "refresh_token",
            "token",
            "access_token",
        ];
        let map: Map<String, Value> = self
            .0
            .iter()
            .map(|(k, v)| {
                let v = if SECRET.contains(&k.as_str()) {
                    "***"
                } else {
                    v.as_str()
                };
                (k.clone(), json!(v))
            })
            .collect();
        Value::Object(map)
    }
}

/// `redirect_uri` with `pairs` added to its query.
pub fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
            }
            url.to_string()
        }
        Err(_) => redirect_uri.to_owned(),
    }
}

/// The value of cookie `name` in the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The user's claims a grant's scopes release (ID token and userinfo alike).
pub fn scoped_claims(user: &IdpUserRow, grant: &Grant, phone_alias: bool) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sub".into(), json!(user.sub));
    let has = |s: &str| grant.scope.iter().any(|x| x == s);
    if has("email")
        && let Some(email) = &user.email
    {
        out.insert("email".into(), json!(email));
        out.insert("email_verified".into(), json!(user.email_verified));
    }
    if has("phone")
        && let Some(phone) = &user.phone
    {
        out.insert("phone_number".into(), json!(phone));
        out.insert("phone_number_verified".into(), json!(user.phone_verified));
        if phone_alias {
            out.insert("phone".into(), json!(phone));
        }
    }
    out
}

/// Client credentials from `Authorization: Basic` or the form (client_secret_post).
pub fn client_credentials(
    headers: &HeaderMap,
    params: &Params,
) -> Result<(String, Option<String>), OAuthError> {
    let basic = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    match (basic, params.get("client_secret")) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "client authentication must use only one method (Basic or client_secret_post)",
        )),
        (Some(b), None) => {
            use base64::Engine;
            let bad = || OAuthError::invalid_client("malformed Basic authorization header");
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .map_err(|_| bad())?;
            let text = String::from_utf8(raw).map_err(|_| bad())?;
            let (id, secret) = text.split_once(':').ok_or_else(bad)?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Ok((decode(id), Some(decode(secret))))
        }
        (None, secret) => {
            let id = params.get("client_id").ok_or_else(|| {
                OAuthError::invalid_client(
                    "no client authentication: send client_id and client_secret",
                )
            })?;
            Ok((id.to_owned(), secret.map(str::to_owned)))
        }
    }
}
