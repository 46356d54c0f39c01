//! What the console's pages show, read through the user pool's own operations (called
//! in-process and not journaled: looking is not an API call) and the IdP's admin view.

use serde_json::{Value, json};

use crate::cognito::Cognito;
use crate::cognito::api::Operation;
use crate::control::Control;

/// An operation's answer, or `null` (the page shows what it can).
fn call(cx: &Cognito, op: Operation, body: Value) -> Value {
    op.call(cx, body).unwrap_or(Value::Null)
}

fn list(v: &Value, key: &str) -> Vec<Value> {
    v[key].as_array().cloned().unwrap_or_default()
}

/// Pools with their app clients and identity providers.
pub fn pools(cx: &Cognito) -> Vec<Value> {
    let pools = call(cx, Operation::ListUserPools, json!({"MaxResults": 60}));
    list(&pools, "UserPools")
        .into_iter()
        .map(|p| {
            let id = p["Id"].as_str().unwrap_or_default();
            let clients = call(
                cx,
                Operation::ListUserPoolClients,
                json!({"UserPoolId": id, "MaxResults": 60}),
            );
            let clients: Vec<Value> = list(&clients, "UserPoolClients")
                .iter()
                .map(|c| {
                    let d = call(
                        cx,
                        Operation::DescribeUserPoolClient,
                        json!({"UserPoolId": id, "ClientId": c["ClientId"]}),
                    );
                    d["UserPoolClient"].clone()
                })
                .collect();
            let idps = call(
                cx,
                Operation::ListIdentityProviders,
                json!({"UserPoolId": id, "MaxResults": 60}),
            );
            json!({"id": id, "name": p["Name"], "clients": clients,
                "providers": list(&idps, "Providers")})
        })
        .collect()
}

/// Users of each pool: status, attributes, linked identities and groups.
pub fn users(cx: &Cognito) -> Vec<Value> {
    pools(cx)
        .into_iter()
        .map(|p| {
            let id = p["id"].as_str().unwrap_or_default().to_owned();
            let users = call(
                cx,
                Operation::ListUsers,
                json!({"UserPoolId": id, "Limit": 60}),
            );
            let users: Vec<Value> = list(&users, "Users")
                .into_iter()
                .map(|u| user(cx, &id, u))
                .collect();
            json!({"id": id, "name": p["name"], "users": users})
        })
        .collect()
}

fn user(cx: &Cognito, pool: &str, u: Value) -> Value {
    let mut attributes = Vec::new();
    let mut identities = Vec::new();
    for a in list(&u, "Attributes") {
        let (name, value) = (a["Name"].as_str().unwrap_or(""), a["Value"].clone());
        if name == "identities" {
            let parsed: Value =
                serde_json::from_str(value.as_str().unwrap_or("[]")).unwrap_or_default();
            identities = parsed.as_array().cloned().unwrap_or_default();
        } else {
            attributes.push(json!({"name": name, "value": value}));
        }
    }
    let groups = call(
        cx,
        Operation::AdminListGroupsForUser,
        json!({"UserPoolId": pool, "Username": u["Username"]}),
    );
    let groups: Vec<Value> = list(&groups, "Groups")
        .iter()
        .map(|g| g["GroupName"].clone())
        .collect();
    json!({"username": u["Username"], "status": u["UserStatus"], "enabled": u["Enabled"],
        "attributes": attributes, "identities": identities, "groups": groups})
}

/// The IdP's users with their passkeys (credential id, AAGUID, counter, transports, dates).
pub fn idp_users(s: &Control) -> Vec<Value> {
    let Some(idp) = &s.idp else {
        return Vec::new();
    };
    let q = crate::idp::admin::UsersQuery::default();
    let v = crate::idp::admin::users(idp, &q).unwrap_or(Value::Null);
    list(&v, "users")
        .into_iter()
        .map(|mut u| {
            let passkeys: Vec<Value> = list(&u, "credentials")
                .iter()
                .map(|c| {
                    let r = &c["record"];
                    json!({"id": c["id"], "aaguid": r["aaguid"], "sign_count": r["signCount"],
                        "transports": r["transports"], "backup_eligible": r["backupEligible"],
                        "created_ms": c["created_ms"], "last_used_ms": c["last_used_ms"]})
                })
                .collect();
            u["passkeys"] = json!(passkeys);
            u
        })
        .collect()
}
