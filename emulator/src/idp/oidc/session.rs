//! `/cis/oidc/session/end` (RP-initiated logout) and `/cis/oidc/token/revocation` (RFC 7009).

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::json;

use super::authorize::SESSION_COOKIE;
use super::token::authenticate;
use super::{Params, cookie, redirect_with};
use crate::idp::error::OAuthError;
use crate::idp::model::{POOL, RevokedGrant, Session, TokenRecord};
use crate::idp::{Idp, pages, sha256_b64};
use crate::journal::EventKind;

/// Ends the browser session; redirects to a registered `post_logout_redirect_uri` if given.
fn end_session(idp: &Idp, headers: &HeaderMap, p: &Params) -> Result<Option<String>, OAuthError> {
    let target = match p.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let client_id = p.get("client_id").ok_or_else(|| {
                OAuthError::invalid_request("post_logout_redirect_uri requires client_id")
            })?;
            let app = idp
                .app(client_id)
                .ok_or_else(|| OAuthError::invalid_request("client_id is not a registered app"))?;
            if !app
                .config
                .post_logout_redirect_uris
                .iter()
                .any(|u| u == uri)
            {
                return Err(OAuthError::invalid_request(
                    "post_logout_redirect_uri is not registered for this client",
                ));
            }
            let state = p.get("state");
            Some(match state {
                Some(s) => redirect_with(uri, &[("state", s)]),
                None => uri.to_owned(),
            })
        }
    };
    if let Some(sid) = cookie(headers, SESSION_COOKIE)
        && let Some(s) = idp.store.get::<Session>(POOL, &sid)?
    {
        idp.store.delete::<Session>(POOL, &sid)?;
        idp.record(
            EventKind::FlowStep,
            "oidc.session_ended",
            None,
            json!({"sub": s.sub}),
        );
    }
    Ok(target)
}

fn logout_response(idp: &Idp, headers: &HeaderMap, pairs: Vec<(String, String)>) -> Response {
    let result = Params::parse(pairs).and_then(|p| end_session(idp, headers, &p));
    let mut resp = match result {
        Ok(Some(to)) => Redirect::to(&to).into_response(),
        Ok(None) => Html(pages::signed_out()).into_response(),
        Err(e) => {
            idp.record(
                EventKind::Rejected,
                "oidc.session_end",
                None,
                json!({"error": e.error, "error_description": e.description}),
            );
            return pages::error_page(&e).into_response();
        }
    };
    let clear = format!("{SESSION_COOKIE}=; Path=/; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&clear) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

pub async fn end_get(
    State(idp): State<Idp>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    logout_response(&idp, &headers, q)
}

pub async fn end_post(
    State(idp): State<Idp>,
    headers: HeaderMap,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    logout_response(&idp, &headers, f)
}

/// Revokes the grant of an access or refresh token of this client; unknown tokens are fine.
fn revoke(idp: &Idp, headers: &HeaderMap, pairs: Vec<(String, String)>) -> Result<(), OAuthError> {
    let p = Params::parse(pairs)?;
    let app = authenticate(idp, headers, &p)?;
    let token = p.require("token")?;
    if let Some(record) = idp
        .store
        .get::<TokenRecord>(POOL, &sha256_b64(token.as_bytes()))?
        && record.grant.client_id == app.config.client_id
    {
        let revoked = RevokedGrant {
            reason: "revoked by the client".into(),
        };
        idp.store.put(POOL, &record.grant.id, &revoked)?;
        idp.record(
            EventKind::FlowStep,
            "oidc.grant_revoked",
            Some(&record.grant.flow),
            json!({"reason": revoked.reason}),
        );
    }
    Ok(())
}

pub async fn revocation_post(
    State(idp): State<Idp>,
    headers: HeaderMap,
    f: Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let result = f
        .map_err(|e| OAuthError::invalid_request(e.body_text()))
        .and_then(|Form(pairs)| revoke(&idp, &headers, pairs));
    match result {
        Ok(()) => axum::http::StatusCode::OK.into_response(),
        Err(e) => {
            idp.record(
                EventKind::Rejected,
                "oidc.revocation",
                None,
                json!({"error": e.error}),
            );
            e.into_response()
        }
    }
}
