//! The hosted UI's authorize request: parsing and validating `/oauth2/authorize` parameters
//! against the app client (pure), and the records a hosted flow leaves in the store (pending
//! federation, authorization codes, the hosted session behind the SSO cookie).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::cognito::api::clients::acceptable_redirect;
use crate::cognito::model::{Client, IdentityProvider};
use crate::store::Entity;

/// Scopes Cognito itself defines; anything else must be a resource-server scope.
const STANDARD_SCOPES: &[&str] = &[
    "openid",
    "email",
    "phone",
    "profile",
    "aws.cognito.signin.user.admin",
];

/// A validated authorize request, kept while the user signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// `code` or `token`.
    pub response_type: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// S256 challenge (the only method Cognito accepts).
    pub code_challenge: Option<String>,
    /// The provider chosen by `identity_provider` or `idp_identifier` (`COGNITO` = local).
    pub identity_provider: Option<String>,
}

impl AuthorizeRequest {
    /// The query string that carries this request to `/login` and back.
    pub fn to_query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("client_id", &self.client_id);
        q.append_pair("redirect_uri", &self.redirect_uri);
        q.append_pair("response_type", &self.response_type);
        q.append_pair("scope", &self.scopes.join(" "));
        for (k, v) in [
            ("state", &self.state),
            ("nonce", &self.nonce),
            ("code_challenge", &self.code_challenge),
        ] {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
        if self.code_challenge.is_some() {
            q.append_pair("code_challenge_method", "S256");
        }
        q.finish()
    }
    pub fn scope(&self) -> String {
        self.scopes.join(" ")
    }
}

/// Why an authorize request is refused: before the redirect URI is trusted the browser gets
/// an error page; after, the app gets `?error=...&error_description=...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    Page(String),
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

/// Validate `/oauth2/authorize` parameters. `client` is the app client named by `client_id`
/// (None if unknown); `providers` are the pool's identity providers; `custom_scopes` the
/// pool's resource-server scopes (`identifier/name`).
pub fn validate(
    q: &HashMap<String, String>,
    client: Option<&Client>,
    providers: &[IdentityProvider],
    custom_scopes: &[String],
) -> Result<AuthorizeRequest, AuthorizeError> {
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(client_id) = get("client_id") else {
        return Err(AuthorizeError::Page(
            "Required String parameter 'client_id' is not present".into(),
        ));
    };
    let Some(client) = client else {
        return Err(AuthorizeError::Page(format!(
            "invalid_request: client {client_id} does not exist"
        )));
    };
    let Some(redirect_uri) = get("redirect_uri") else {
        return Err(AuthorizeError::Page(
            "Required String parameter 'redirect_uri' is not present".into(),
        ));
    };
    if !client
        .list("CallbackURLs")
        .iter()
        .any(|u| u == redirect_uri)
        || !acceptable_redirect(redirect_uri)
    {
        return Err(AuthorizeError::Page(format!(
            "redirect_mismatch: {redirect_uri} is not a callback URL of client {client_id}"
        )));
    }
    let state = get("state").map(str::to_owned);
    let fail = |error: &'static str, description: String| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state.clone(),
        error,
        description,
    };
    let response_type = get("response_type").unwrap_or("");
    let flow = match response_type {
        "code" => "code",
        "token" => "implicit",
        "" => return Err(fail("invalid_request", "response_type is required".into())),
        other => {
            return Err(fail(
                "unsupported_response_type",
                format!("response_type {other} is not supported"),
            ));
        }
    };
    let oauth_on = client
        .settings
        .get("AllowedOAuthFlowsUserPoolClient")
        .and_then(|v| v.as_bool())
        == Some(true);
    if !oauth_on || !client.list("AllowedOAuthFlows").iter().any(|f| f == flow) {
        return Err(fail(
            "unauthorized_client",
            format!("The {flow} flow is not enabled for client {client_id}"),
        ));
    }
    let allowed = client.list("AllowedOAuthScopes");
    let scopes: Vec<String> = match get("scope") {
        Some(s) => s
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        None => allowed.clone(),
    };
    for s in &scopes {
        let known = STANDARD_SCOPES.contains(&s.as_str()) || custom_scopes.contains(s);
        if !known || !allowed.contains(s) {
            return Err(fail(
                "invalid_scope",
                format!("Scope {s} is not allowed for client {client_id}"),
            ));
        }
    }
    let has = |s: &str| scopes.iter().any(|x| x == s);
    if ["email", "phone", "profile"].iter().any(|s| has(s)) && !has("openid") {
        return Err(fail(
            "invalid_scope",
            "Scopes email, phone and profile require openid".into(),
        ));
    }
    let code_challenge = get("code_challenge").map(str::to_owned);
    if code_challenge.is_some() && get("code_challenge_method") != Some("S256") {
        return Err(fail(
            "invalid_request",
            "Code challenge method not supported: use S256".into(),
        ));
    }
    if code_challenge
        .as_ref()
        .is_some_and(|c| c.len() < 43 || c.len() > 128)
    {
        return Err(fail("invalid_request", "Invalid code_challenge".into()));
    }
    let supported = client.list("SupportedIdentityProviders");
    let identity_provider = match (get("identity_provider"), get("idp_identifier")) {
        (Some(name), _) => {
            if name != "COGNITO" && !providers.iter().any(|p| p.name == name) {
                return Err(fail(
                    "invalid_request",
                    format!("Identity provider {name} does not exist in the user pool"),
                ));
            }
            Some(name.to_owned())
        }
        (None, Some(ident)) => {
            let p = providers
                .iter()
                .find(|p| p.identifiers.iter().any(|i| i == ident));
            let Some(p) = p else {
                return Err(fail(
                    "invalid_request",
                    format!("No identity provider with identifier {ident}"),
                ));
            };
            Some(p.name.clone())
        }
        (None, None) => None,
    };
    // Real Cognito answers a provider the client does not enable with unauthorized_client
    // (observed); the emulator does the same.
    if let Some(name) = &identity_provider
        && !supported.contains(name)
    {
        return Err(fail(
            "unauthorized_client",
            format!("Identity provider {name} is not enabled for client {client_id}"),
        ));
    }
    Ok(AuthorizeRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        response_type: response_type.to_owned(),
        scopes,
        state,
        nonce: get("nonce").map(str::to_owned),
        code_challenge,
        identity_provider,
    })
}

/// A sign-in sent to an external IdP: Cognito's own `state` names it, `nonce` is what the
/// IdP's ID token must carry back. Deleted when the IdP returns (one use).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingFederation {
    pub request: AuthorizeRequest,
    pub provider: String,
    pub nonce: String,
    pub created: i64,
    pub flow: String,
}

impl Entity for PendingFederation {
    const KIND: &'static str = "hosted_federation";
}

/// An authorization code: one use, five minutes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthCode {
    pub pool_id: String,
    pub request: AuthorizeRequest,
    pub user_sub: String,
    pub auth_time: i64,
    pub expires: i64,
    pub flow: String,
}

impl Entity for AuthCode {
    const KIND: &'static str = "auth_code";
}

/// The hosted UI's session (the `cognito` cookie): a second client of the pool signs in
/// without asking again until it expires (one hour, as Cognito's session cookie).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostedSession {
    pub pool_id: String,
    pub user_sub: String,
    pub auth_time: i64,
    pub expires: i64,
}

impl Entity for HostedSession {
    const KIND: &'static str = "hosted_session";
}

/// Codes and hosted sessions live this long.
pub const CODE_MILLIS: i64 = 5 * 60_000;
pub const SESSION_MILLIS: i64 = 60 * 60_000;
/// A federated sign-in not finished within five minutes fails, as in Cognito.
pub const FLOW_MILLIS: i64 = 5 * 60_000;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn client() -> Client {
        let s = json!({
            "CallbackURLs": ["http://localhost:3000/callback"],
            "AllowedOAuthFlows": ["code"], "AllowedOAuthFlowsUserPoolClient": true,
            "AllowedOAuthScopes": ["openid", "email", "api/read"],
            "SupportedIdentityProviders": ["COGNITO", "Mosaic"],
        });
        let settings = s.as_object().cloned().unwrap_or_default();
        Client {
            pool_id: "p".into(),
            client_id: "c".into(),
            name: "n".into(),
            secret: None,
            created: 0,
            modified: 0,
            settings,
        }
    }

    fn idp(name: &str, ids: &[&str]) -> IdentityProvider {
        IdentityProvider {
            pool_id: "p".into(),
            name: name.into(),
            provider_type: "OIDC".into(),
            details: Map::new(),
            attribute_mapping: Map::new(),
            identifiers: ids.iter().map(|s| s.to_string()).collect(),
            created: 0,
            modified: 0,
        }
    }

    fn check(pairs: &[(&str, &str)], expect: Result<&str, &str>) {
        let q: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let c = client();
        let out = validate(
            &q,
            Some(&c),
            &[idp("Mosaic", &["mosaic.example"]), idp("Other", &[])],
            &["api/read".into()],
        );
        match (out, expect) {
            (Ok(r), Ok(idp)) => assert_eq!(
                r.identity_provider.as_deref().unwrap_or(""),
                idp,
                "{pairs:?}"
            ),
            (Err(AuthorizeError::Redirect { error, .. }), Err(e)) => {
                assert_eq!(error, e, "{pairs:?}")
            }
            (Err(AuthorizeError::Page(_)), Err(e)) => assert_eq!("page", e, "{pairs:?}"),
            (got, want) => unreachable!("{pairs:?}: got {got:?}, want {want:?}"),
        }
    }

    const BASE: [(&str, &str); 3] = [
        ("client_id", "c"),
        ("redirect_uri", "http://localhost:3000/callback"),
        ("response_type", "code"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut v = BASE.to_vec();
        v.extend_from_slice(extra);
        v
    }

    #[test]
    fn authorize_parameters() {
        check(&with(&[]), Ok(""));
        check(&with(&[("scope", "openid email api/read")]), Ok(""));
        check(&with(&[("identity_provider", "Mosaic")]), Ok("Mosaic"));
        check(&with(&[("idp_identifier", "mosaic.example")]), Ok("Mosaic"));
        check(
            &with(&[("identity_provider", "Other")]),
            Err("unauthorized_client"),
        );
        check(
            &with(&[("identity_provider", "Nope")]),
            Err("invalid_request"),
        );
        check(&with(&[("idp_identifier", "nope")]), Err("invalid_request"));
        check(&with(&[("scope", "email")]), Err("invalid_scope"));
        check(&with(&[("scope", "openid phone")]), Err("invalid_scope"));
        check(&with(&[("code_challenge", "x")]), Err("invalid_request"));
        check(
            &with(&[
                (
                    "code_challenge",
                    "abcdefghijabcdefghijabcdefghijabcdefghij123",
                ),
                ("code_challenge_method", "plain"),
            ]),
            Err("invalid_request"),
        );
        check(
            &with(&[
                (
                    "code_challenge",
                    "abcdefghijabcdefghijabcdefghijabcdefghij123",
                ),
                ("code_challenge_method", "S256"),
            ]),
            Ok(""),
        );
        check(
            &[
                ("client_id", "c"),
                ("redirect_uri", "http://localhost:3000/callback"),
                ("response_type", "token"),
            ],
            Err("unauthorized_client"),
        );
        check(
            &[
                ("client_id", "c"),
                ("redirect_uri", "http://localhost:3000/callback"),
                ("response_type", "id_token"),
            ],
            Err("unsupported_response_type"),
        );
        check(
            &[
                ("client_id", "c"),
                ("redirect_uri", "http://evil.example/cb"),
                ("response_type", "code"),
            ],
            Err("page"),
        );
        check(
            &[("redirect_uri", "http://localhost:3000/callback")],
            Err("page"),
        );
    }
}
