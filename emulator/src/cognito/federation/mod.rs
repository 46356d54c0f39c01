//! OIDC federation: sending the browser to the IdP with Cognito's own signed `state` and
//! `nonce`, and `/oauth2/idpresponse`: code exchange, ID token validation, userinfo, the
//! federated user, triggers, then the app's code. Every IdP failure becomes Cognito's
//! `error=invalid_request&error_description=...` redirect and creates no user.

pub mod oidc;
pub mod state;
pub mod users;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::{Map, Value, json};

use super::Cognito;
use super::model::{Client, IdentityProvider};
use super::oauth::flow::{AuthorizeRequest, FLOW_MILLIS, PendingFederation};
use super::oauth::{complete, error_page, error_redirect, found, rejected, step, with_params};
use oidc::FedError;

/// Where the IdP sends the browser back: `{cognito base url}/oauth2/idpresponse`.
pub fn redirect_uri(cx: &Cognito) -> String {
    format!("{}/oauth2/idpresponse", cx.base_url)
}

fn detail(idp: &IdentityProvider, key: &str) -> String {
    idp.details
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

/// Send the browser to the IdP's authorize endpoint for `req`.
pub fn start(
    cx: &Cognito,
    client: &Client,
    req: &AuthorizeRequest,
    provider: &str,
    flow: &str,
) -> Response {
    let fail =
        |m: String| error_redirect(&req.redirect_uri, req.state.as_deref(), "server_error", &m);
    let idp = match cx.store.get::<IdentityProvider>(&client.pool_id, provider) {
        Ok(Some(i)) => i,
        Ok(None) => return fail(format!("Identity provider {provider} does not exist")),
        Err(e) => return fail(e.to_string()),
    };
    let key = match state::key(cx, &client.pool_id) {
        Ok(k) => k,
        Err(e) => return fail(e.message),
    };
    let nonce = B64URL.encode(cx.entropy.bytes::<32>());
    let pending = PendingFederation {
        request: req.clone(),
        provider: provider.to_owned(),
        nonce: nonce.clone(),
        created: cx.clock.now_millis(),
        flow: flow.to_owned(),
    };
    if let Err(e) = cx.store.put(&client.pool_id, flow, &pending) {
        return fail(e.to_string());
    }
    let signed = state::sign(&key, &client.pool_id, flow);
    let location = with_params(
        &detail(&idp, "authorize_url"),
        &[
            ("client_id", &detail(&idp, "client_id")),
            ("redirect_uri", &redirect_uri(cx)),
            ("response_type", "code"),
            ("scope", &detail(&idp, "authorize_scopes")),
            ("state", &signed),
            ("nonce", &nonce),
        ],
        false,
    );
    step(
        cx,
        "federation.redirect_to_idp",
        flow,
        json!({"provider": provider, "authorize_url": detail(&idp, "authorize_url")}),
    );
    found(&location)
}

pub async fn idpresponse_get(
    State(cx): State<Cognito>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    idpresponse(&cx, q).await
}

pub async fn idpresponse_post(State(cx): State<Cognito>, body: Bytes) -> Response {
    let q: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    idpresponse(&cx, q).await
}

/// The pending flow named by a trusted `state`, taken out of the store (one use).
fn take_pending(
    cx: &Cognito,
    state_param: Option<&String>,
) -> Result<(String, PendingFederation), String> {
    let s = state_param.ok_or("Required parameter state is missing")?;
    let pool_id = state::pool_of(s).ok_or("Invalid state")?;
    let key = state::existing_key(cx, &pool_id)
        .map_err(|e| e.message)?
        .ok_or("Invalid state: no flow of this user pool was started")?;
    let (pool_id, flow) = state::verify(&key, s).ok_or("Invalid state: signature check failed")?;
    let pending: PendingFederation = cx
        .store
        .take(&pool_id, &flow)
        .map_err(|e| e.to_string())?
        .ok_or("Invalid state: this sign-in was already completed or never started")?;
    Ok((pool_id, pending))
}

async fn idpresponse(cx: &Cognito, q: HashMap<String, String>) -> Response {
    let (pool_id, pending) = match take_pending(cx, q.get("state")) {
        Ok(p) => p,
        Err(why) => {
            rejected(cx, "federation.idpresponse", None, json!({"error": why}));
            return error_page(&why);
        }
    };
    let flow = pending.flow.clone();
    let req = &pending.request;
    if cx.clock.now_millis() - pending.created > FLOW_MILLIS {
        rejected(
            cx,
            "federation.idpresponse",
            Some(&flow),
            json!({"error": "flow older than 5 minutes"}),
        );
        return error_page(
            "Something went wrong: Login session has expired. Please start the sign-in again.",
        );
    }
    match finish(cx, &pool_id, &pending, &q).await {
        Ok(resp) => resp,
        Err(FedError(description)) => {
            rejected(
                cx,
                "federation.idpresponse",
                Some(&flow),
                json!({"provider": pending.provider, "error": "invalid_request", "error_description": description}),
            );
            error_redirect(
                &req.redirect_uri,
                req.state.as_deref(),
                "invalid_request",
                &description,
            )
        }
    }
}

async fn finish(
    cx: &Cognito,
    pool_id: &str,
    pending: &PendingFederation,
    q: &HashMap<String, String>,
) -> Result<Response, FedError> {
    let flow = pending.flow.as_str();
    let provider = pending.provider.as_str();
    if let Some(err) = q.get("error") {
        let d = q.get("error_description").map(String::as_str).unwrap_or("");
        return Err(FedError(
            format!("{provider} Error - {err} {d}")
                .trim_end()
                .to_owned(),
        ));
    }
    let code = q
        .get("code")
        .ok_or_else(|| FedError(format!("{provider} Error - no code in the IdP's response")))?;
    let internal = |e: super::error::CognitoError| FedError(e.message);
    let pool = super::api::pool(cx, pool_id).map_err(internal)?;
    let (_, client) = cx
        .store
        .find::<Client>(&pending.request.client_id)
        .map_err(|e| FedError(e.to_string()))?
        .ok_or_else(|| FedError("The app client no longer exists".into()))?;
    let idp: IdentityProvider = cx
        .store
        .get(pool_id, provider)
        .map_err(|e| FedError(e.to_string()))?
        .ok_or_else(|| FedError(format!("Identity provider {provider} no longer exists")))?;
    step(
        cx,
        "federation.idpresponse",
        flow,
        json!({"provider": provider}),
    );
    let tokens = oidc::exchange(cx, provider, &idp.details, code, &redirect_uri(cx)).await?;
    let id_token = tokens
        .get("id_token")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            FedError(format!(
                "{provider} Error - the token response has no id_token"
            ))
        })?;
    let access_token = tokens
        .get("access_token")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kid = oidc::kid_of(id_token)?;
    let key = cx
        .services
        .jwks
        .key(
            cx,
            provider,
            &detail(&idp, "jwks_uri"),
            kid.as_deref(),
            flow,
        )
        .await?;
    let claims = oidc::validate_id_token(
        id_token,
        &key,
        &detail(&idp, "oidc_issuer"),
        &detail(&idp, "client_id"),
        &pending.nonce,
        cx.clock.now_secs(),
    )?;
    step(
        cx,
        "federation.id_token_valid",
        flow,
        json!({"sub": claims.get("sub"), "kid": kid}),
    );
    let info = oidc::userinfo(cx, provider, &idp.details, access_token).await?;
    if info
        .get("sub")
        .is_some_and(|s| Some(s) != claims.get("sub"))
    {
        return Err(FedError(format!(
            "{provider} Error - userinfo sub does not match the id_token"
        )));
    }
    let mut merged: Map<String, Value> = claims;
    merged.extend(info);
    let user = users::sign_in(cx, &pool, &client, &idp, &merged, flow).await?;
    Ok(complete(
        cx,
        &client,
        &pending.request,
        &user,
        cx.clock.now_secs(),
        flow,
    )
    .await)
}
