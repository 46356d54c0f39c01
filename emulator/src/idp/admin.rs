//! Control-plane view of the IdP: `GET /_emulator/idp/users[?tenant=&identifier=]` lists users
//! with their passkeys (credential records as stored).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Idp;
use crate::control::Control;
use crate::store::StoreError;

#[derive(Debug, Default, Deserialize)]
pub struct UsersQuery {
    tenant: Option<String>,
    /// An email or phone number.
    identifier: Option<String>,
}

/// Users (filtered) with their credentials.
pub fn users(idp: &Idp, q: &UsersQuery) -> Result<Value, StoreError> {
    let mut out = Vec::new();
    for user in idp.store.idp_users(q.tenant.as_deref())? {
        if let Some(i) = &q.identifier
            && user.email.as_deref() != Some(i.as_str())
            && user.phone.as_deref() != Some(i.as_str())
        {
            continue;
        }
        let credentials: Vec<Value> = idp
            .store
            .idp_credentials_of(&user.sub)?
            .into_iter()
            .map(|c| {
                let record: Value = serde_json::from_str(&c.record).unwrap_or(Value::Null);
                json!({"id": c.id, "created_ms": c.created_ms, "last_used_ms": c.last_used_ms, "record": record})
            })
            .collect();
        let mut v = serde_json::to_value(&user).unwrap_or(Value::Null);
        v["credentials"] = json!(credentials);
        out.push(v);
    }
    Ok(json!({"users": out}))
}

pub async fn users_get(State(s): State<Control>, Query(q): Query<UsersQuery>) -> Response {
    let Some(idp) = &s.idp else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "no IdP is configured"})),
        )
            .into_response();
    };
    match users(idp, &q) {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}
