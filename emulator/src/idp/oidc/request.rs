//! Validation of an authorization request against the app's registration (pure: reads only
//! the configuration). The client and redirect_uri are checked first: if either is wrong the
//! user gets an error page; every later error can safely go back to the redirect_uri.

use super::Params;
use crate::idp::config::PkceMode;
use crate::idp::error::OAuthError;
use crate::idp::model::AuthRequest;
use crate::idp::{App, Idp};

/// Why an authorization request failed, and how the user is told.
#[derive(Debug, PartialEq)]
pub enum AuthorizeError {
    /// Shown as an HTTP 400 page: the redirect target cannot be trusted.
    Page(OAuthError),
    /// Sent back to the client's redirect_uri.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: OAuthError,
    },
}

const PROMPTS: &[&str] = &["none", "login", "consent", "select_account"];

pub fn validate(idp: &Idp, p: &Params) -> Result<AuthRequest, AuthorizeError> {
    let page = AuthorizeError::Page;
    let client_id = p.require("client_id").map_err(page)?;
    let app = idp.app(client_id).ok_or_else(|| {
        page(OAuthError {
            status: 400,
            ..OAuthError::invalid_client(format!("client_id '{client_id}' is not a registered app"))
        })
    })?;
    let redirect_uri = p.require("redirect_uri").map_err(page)?;
    if !app.config.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Err(page(OAuthError::invalid_redirect_uri(
            "redirect_uri did not match any of the client's registered redirect_uris",
        )));
    }
    let state = p.get("state").map(str::to_owned);
    let request = |error| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state.clone(),
        error,
    };
    let checked = (|| {
        response_type(p)?;
        Ok::<_, OAuthError>((scopes(app, p)?, pkce(app, p)?, prompt(p)?, max_age(p)?))
    })();
    let (scope, code_challenge, prompt, max_age) = checked.map_err(request)?;
    Ok(AuthRequest {
        client_id: client_id.to_owned(),
        tenant: app.tenant.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scope,
        state,
        nonce: p.get("nonce").map(str::to_owned),
        code_challenge,
        login_hint: p.get("login_hint").map(str::to_owned),
        prompt,
        max_age,
        acr_values: p.get("acr_values").map(str::to_owned),
    })
}

fn response_type(p: &Params) -> Result<(), OAuthError> {
    match p.require("response_type")? {
        "code" => Ok(()),
        other => Err(OAuthError::unsupported_response_type(format!(
            "response_type '{other}' is not supported; only 'code'"
        ))),
    }
}

fn scopes(app: &App, p: &Params) -> Result<Vec<String>, OAuthError> {
    let scope: Vec<String> = p
        .get("scope")
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if !scope.iter().any(|s| s == "openid") {
        return Err(OAuthError::invalid_scope("openid scope must be requested"));
    }
    if let Some(bad) = scope.iter().find(|s| !app.config.scopes.contains(s)) {
        return Err(OAuthError::invalid_scope(format!(
            "scope '{bad}' is not allowed for this app"
        )));
    }
    Ok(scope)
}

/// The S256 challenge, if any; required unless the app's PKCE mode is `allowed`.
fn pkce(app: &App, p: &Params) -> Result<Option<String>, OAuthError> {
    let challenge = p.get("code_challenge");
    let bad = |m: &str| Err(OAuthError::invalid_request(m));
    match (challenge, p.get("code_challenge_method")) {
        (None, Some(_)) => bad("code_challenge_method given without code_challenge"),
        (Some(_), m) if m != Some("S256") => bad("code_challenge_method must be S256"),
        (Some(c), _) if !(43..=128).contains(&c.len()) => {
            bad("code_challenge must be 43 to 128 characters")
        }
        (None, None) if app.config.pkce != PkceMode::Allowed => bad(
            "PKCE is required for this app: send code_challenge with code_challenge_method=S256",
        ),
        _ => Ok(challenge.map(str::to_owned)),
    }
}

fn prompt(p: &Params) -> Result<Option<String>, OAuthError> {
    let Some(prompt) = p.get("prompt") else {
        return Ok(None);
    };
    let values: Vec<&str> = prompt.split(' ').collect();
    if let Some(bad) = values.iter().find(|v| !PROMPTS.contains(v)) {
        return Err(OAuthError::invalid_request(format!(
            "unsupported prompt value '{bad}'"
        )));
    }
    if values.contains(&"none") && values.len() > 1 {
        return Err(OAuthError::invalid_request(
            "prompt 'none' cannot be combined with other values",
        ));
    }
    Ok(Some(prompt.to_owned()))
}

fn max_age(p: &Params) -> Result<Option<i64>, OAuthError> {
    p.get("max_age")
        .map(|v| {
            v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                OAuthError::invalid_request("max_age must be a non-negative integer")
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::parse(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
        .unwrap()
    }

    /// The OAuth error code of each helper for `pairs`, or "ok".
    fn check(pairs: &[(&str, &str)], expect: &str) {
        let p = params(pairs);
        let got = response_type(&p)
            .and_then(|()| prompt(&p))
            .and_then(|_| max_age(&p))
            .map_or_else(|e| e.error, |_| "ok");
        assert_eq!(got, expect, "{pairs:?}");
    }

    #[test]
    fn request_parameters() {
        check(&[("response_type", "code")], "ok");
        check(&[], "invalid_request");
        check(
            &[("response_type", "id_token")],
            "unsupported_response_type",
        );
        check(
            &[("response_type", "code"), ("prompt", "login consent")],
            "ok",
        );
        check(
            &[("response_type", "code"), ("prompt", "none login")],
            "invalid_request",
        );
        check(
            &[("response_type", "code"), ("prompt", "sometimes")],
            "invalid_request",
        );
        check(&[("response_type", "code"), ("max_age", "0")], "ok");
        check(
            &[("response_type", "code"), ("max_age", "soon")],
            "invalid_request",
        );
        let repeated = vec![
            ("a".to_owned(), "1".to_owned()),
            ("a".to_owned(), "2".to_owned()),
        ];
        assert_eq!(
            Params::parse(repeated).unwrap_err().error,
            "invalid_request"
        );
    }
}
