//! The offer to add a passkey after a password sign-in, when the pool allows passkeys and the
//! user has none: "Add a passkey" (the page's script creates one with
//! `navigator.credentials.create`) or "Not now", then the app's callback (`/login/passkey`).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::flow::AuthorizeRequest;
use super::forms::{Form, Params, hidden};
use super::managed::{PASSKEY_SCRIPT, script_json};
use super::{Cognito, complete, error_page, escape, rejected, step};
use crate::cognito::error::CognitoError;
use crate::cognito::passkeys;
use crate::cognito::signin::SignIn;
use crate::store::{Entity, UserRow};

/// How long the passkey offer after a sign-in waits for an answer.
const OFFER_MILLIS: i64 = 5 * 60_000;

/// A signed-in user waiting on the passkey offer, keyed by a random id in the form, bound to
/// the authorize request it answers (client, redirect, PKCE challenge, nonce): the code goes
/// to that request only.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Offer {
    pub user_sub: String,
    pub auth_time: i64,
    pub flow: String,
    pub expires: i64,
    /// The authorize request's query (`AuthorizeRequest::to_query`).
    pub request: String,
}

impl Entity for Offer {
    const KIND: &'static str = "hosted_offer";
}

pub(super) fn offered(cx: &Cognito, si: &SignIn<'_>, u: &UserRow) -> bool {
    passkeys::relying_party(cx, &si.pool).is_ok()
        && passkeys::of_user(cx, &si.pool, u).is_ok_and(|k| k.is_empty())
}

pub(super) fn page(
    cx: &Cognito,
    si: &SignIn<'_>,
    req: &AuthorizeRequest,
    u: &UserRow,
    auth_time: i64,
    csrf: &str,
) -> Result<Response, CognitoError> {
    let options = passkeys::start_registration(cx, &si.pool, u)?;
    let id = cx.entropy.uuid();
    let offer = Offer {
        user_sub: u.sub.clone(),
        auth_time,
        flow: si.flow.to_owned(),
        expires: cx.clock.now_millis() + OFFER_MILLIS,
        request: req.to_query(),
    };
    cx.store.put(&si.pool.id, &id, &offer)?;
    step(
        cx,
        "hosted.passkey_offered",
        si.flow,
        json!({"username": u.username}),
    );
    let action = format!("/login/passkey?{}", escape(&req.to_query()));
    let fields = [hidden("_csrf", csrf), hidden("offer", &id)].concat();
    let ceremony = "await navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)})";
    let body = format!(
        "<p class=\"app\">to continue to {}</p><p>Sign in faster next time with a passkey (your fingerprint, face or screen lock).</p><script type=\"application/json\" id=\"options\">{}</script><form id=\"passkey-form\" method=\"post\" action=\"{action}\">{fields}<input type=\"hidden\" name=\"credential\" id=\"credential\"></form><button type=\"button\" id=\"passkey-button\">Add a passkey</button><form method=\"post\" action=\"{action}\">{fields}<button type=\"submit\" name=\"skip\" value=\"1\" id=\"passkey-skip\" class=\"secondary\">Not now</button></form><p id=\"passkey-error\" role=\"alert\"></p>{}",
        escape(&si.client.name),
        script_json(&options.to_string()),
        PASSKEY_SCRIPT.replace("CEREMONY", ceremony)
    );
    Ok(super::page(StatusCode::OK, "Add a passkey", &body))
}

/// `POST /login/passkey`: the passkey offer answered (a credential, or "Not now").
pub async fn passkey_post(
    State(cx): State<Cognito>,
    headers: HeaderMap,
    Query(q): Query<Params>,
    body: Bytes,
) -> Response {
    let Form {
        client,
        req,
        values: form,
        ..
    } = match Form::posted(&cx, &headers, &q, &body, "hosted.passkey") {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let id = form.get("offer").cloned().unwrap_or_default();
    let offer: Option<Offer> = cx.store.take(&client.pool_id, &id).ok().flatten();
    let Some(offer) = offer.filter(|o| o.expires > cx.clock.now_millis()) else {
        return error_page("This page has expired: start the sign-in again from the app.");
    };
    if offer.request != req.to_query() {
        rejected(
            &cx,
            "hosted.passkey",
            Some(&offer.flow),
            json!({"reason": "the offer was posted with another authorize request than it was made for"}),
        );
        return error_page("This page belongs to another sign-in: start again from the app.");
    }
    let Ok(Some(u)) = cx.store.user_by_sub(&client.pool_id, &offer.user_sub) else {
        return error_page("The user no longer exists.");
    };
    if let Some(credential) = form.get("credential").filter(|c| !c.is_empty()) {
        let pool = match crate::cognito::api::pool(&cx, &client.pool_id) {
            Ok(p) => p,
            Err(e) => return error_page(&e.message),
        };
        let parsed: Value = serde_json::from_str(credential).unwrap_or(Value::Null);
        match passkeys::complete_registration(&cx, &pool, &u, &parsed) {
            Ok(key) => step(
                &cx,
                "webauthn.registered",
                &offer.flow,
                json!({"username": u.username, "credential_id": key.id}),
            ),
            Err(e) => {
                rejected(
                    &cx,
                    "hosted.passkey",
                    Some(&offer.flow),
                    json!({"reason": e.message}),
                );
                return error_page(&e.message);
            }
        }
    } else {
        step(
            &cx,
            "hosted.passkey_skipped",
            &offer.flow,
            json!({"username": u.username}),
        );
    }
    complete(&cx, &client, &req, &u, offer.auth_time, &offer.flow).await
}
