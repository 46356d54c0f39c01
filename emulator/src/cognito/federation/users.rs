//! Federated users: attribute mapping (pure), and resolving an IdP identity to a pool user:
//! a linked native user (AdminLinkProviderForUser), an existing `<Provider>_<sub>` user, or a
//! new one after PreSignUp_ExternalProvider and before PostConfirmation_ConfirmSignUp.

use serde_json::{Map, Value, json};

use super::oidc::FedError;
use crate::cognito::Cognito;
use crate::cognito::api::groups;
use crate::cognito::attributes;
use crate::cognito::model::{Client, Group, IdentityProvider, Link, Pool};
use crate::cognito::triggers;
use crate::store::UserRow;

/// Cognito refuses mapped values longer than this.
const MAX_VALUE: usize = 2048;

fn claim_string(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// The IdP claim the pool's `username` is mapped from (Cognito's default: `sub`).
pub fn username_claim(mapping: &Map<String, Value>) -> &str {
    mapping
        .get("username")
        .and_then(Value::as_str)
        .unwrap_or("sub")
}

/// Pool attributes from IdP claims (pool attribute <- claim). Claims the IdP did not send are
/// left out, so the stored attribute stays as it is.
pub fn map_attributes(
    mapping: &Map<String, Value>,
    claims: &Map<String, Value>,
) -> Result<Vec<(String, String)>, FedError> {
    let mut out = Vec::new();
    for (attr, claim) in mapping {
        if attr == "username" {
            continue;
        }
        let Some(value) = claim
            .as_str()
            .and_then(|c| claims.get(c))
            .and_then(claim_string)
        else {
            continue;
        };
        if value.chars().count() > MAX_VALUE {
            return Err(FedError(format!(
                "Invalid attribute {attr}: value longer than {MAX_VALUE} characters"
            )));
        }
        out.push((attr.clone(), value));
    }
    Ok(out)
}

fn apply(user: &mut UserRow, mapped: &[(String, String)]) {
    for (k, v) in mapped {
        attributes::upsert(&mut user.attributes, k, v);
    }
}

/// Sign in the identity `claims` of `idp`: the pool user it resolves to, created if needed.
pub async fn sign_in(
    cx: &Cognito,
    pool: &Pool,
    client: &Client,
    idp: &IdentityProvider,
    claims: &Map<String, Value>,
    flow: &str,
) -> Result<UserRow, FedError> {
    let internal = |e: crate::cognito::error::CognitoError| FedError(e.message);
    let subject_claim = username_claim(&idp.attribute_mapping);
    let Some(subject) = claims.get(subject_claim).and_then(claim_string) else {
        return Err(FedError(format!(
            "{} Error - the IdP sent no {subject_claim} claim",
            idp.name
        )));
    };
    let mapped = map_attributes(&idp.attribute_mapping, claims)?;
    let now = cx.clock.now_millis();
    let fed_name = format!("{}_{subject}", idp.name);
    let existing = match cx
        .store
        .get::<Link>(&pool.id, &Link::key(&idp.name, &subject))
        .map_err(|e| internal(e.into()))?
    {
        Some(link) => cx
            .store
            .user_by_sub(&pool.id, &link.user_sub)
            .map_err(|e| internal(e.into()))?,
        None => cx
            .store
            .user_by_username(&pool.id, &pool.username_key(&fed_name))
            .map_err(|e| internal(e.into()))?,
    };
    if let Some(mut user) = existing {
        if !user.enabled {
            return Err(FedError("User is disabled.".into()));
        }
        apply(&mut user, &mapped);
        user.modified = now;
        cx.store
            .update_user(&user)
            .map_err(|e| internal(e.into()))?;
        cx.journal.record(crate::journal::Service::Cognito, crate::journal::EventKind::FlowStep, "federation.user_resolved", Some(flow), json!({"identity": fed_name, "username": user.username, "sub": user.sub, "linked": user.username != fed_name}));
        triggers::authentication(cx, pool, client, &user, flow)
            .await
            .map_err(|e| FedError(e.message))?;
        return Ok(user);
    }
    first_sign_in(cx, pool, client, idp, &subject, mapped, flow).await
}

async fn first_sign_in(
    cx: &Cognito,
    pool: &Pool,
    client: &Client,
    idp: &IdentityProvider,
    subject: &str,
    mut attrs: Vec<(String, String)>,
    flow: &str,
) -> Result<UserRow, FedError> {
    let internal = |e: crate::cognito::error::CognitoError| FedError(e.message);
    let fed_name = format!("{}_{subject}", idp.name);
    // Unless mapped, email_verified is false for federated users.
    if attrs.iter().any(|(k, _)| k == "email") && !attrs.iter().any(|(k, _)| k == "email_verified")
    {
        attributes::upsert(&mut attrs, "email_verified", "false");
    }
    let answer = triggers::pre_sign_up(
        cx,
        pool,
        Some(&client.client_id),
        "PreSignUp_ExternalProvider",
        &fed_name,
        &attrs,
        flow,
    )
    .await
    .map_err(|e| FedError(e.redirect_message("PreSignUp")))?;
    // A PreSignUp that linked the identity and then let sign-up go on: Cognito refuses the
    // sign-in with this message (the reason handlers throw re_authentication_required).
    if cx
        .store
        .get::<Link>(&pool.id, &Link::key(&idp.name, subject))
        .map_err(|e| internal(e.into()))?
        .is_some()
    {
        return Err(FedError(format!(
            "Already found an entry for username {fed_name}"
        )));
    }
    answer.apply(&mut attrs);
    let now = cx.clock.now_millis();
    let sub = crate::cognito::user::fresh_sub(cx, pool).map_err(internal)?;
    let identity = json!([{"userId": subject, "providerName": idp.name, "providerType": idp.provider_type, "issuer": null, "primary": "true", "dateCreated": now.to_string()}]);
    let mut list = vec![("sub".to_owned(), sub.clone())];
    list.extend(attrs);
    list.push(("identities".into(), identity.to_string()));
    let row = UserRow {
        id: 0,
        pool_id: pool.id.clone(),
        username_key: pool.username_key(&fed_name),
        username: fed_name.clone(),
        sub,
        status: "EXTERNAL_PROVIDER".into(),
        enabled: true,
        created: now,
        modified: now,
        attributes: list,
        doc: Value::Null,
    };
    let group = format!("{}_{}", pool.id, idp.name);
    if cx
        .store
        .get::<Group>(&pool.id, &group)
        .map_err(|e| internal(e.into()))?
        .is_none()
    {
        let input = serde_json::from_value(json!({"UserPoolId": pool.id, "GroupName": group, "Description": format!("Autogenerated group for users who sign in using {}", idp.name)})).map_err(|e| FedError(e.to_string()))?;
        groups::create_group(cx, input).map_err(internal)?;
    }
    // The user and its membership of the provider's group land together or not at all.
    let user = cx
        .store
        .insert_user_in_groups(row, &[group.as_str()])
        .map_err(|e| {
            FedError(format!(
                "Already found an entry for username {fed_name} ({e})"
            ))
        })?;
    cx.journal.record(
        crate::journal::Service::Cognito,
        crate::journal::EventKind::FlowStep,
        "federation.user_created",
        Some(flow),
        json!({"username": user.username, "sub": user.sub}),
    );
    triggers::post_confirmation(cx, pool, Some(&client.client_id), &user, flow)
        .await
        .map_err(|e| FedError(e.redirect_message("PostConfirmation")))?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn mapping_writes_present_claims_only() {
        let mapping = obj(
            json!({"email": "email", "phone_number": "phone", "username": "sub", "custom:level": "level"}),
        );
        let claims = obj(json!({"sub": "s1", "email": "a@b.c", "level": 3}));
        let got = map_attributes(&mapping, &claims).unwrap_or_default();
        assert_eq!(
            got,
            vec![
                ("custom:level".to_owned(), "3".to_owned()),
                ("email".to_owned(), "a@b.c".to_owned())
            ]
        );
        assert_eq!(username_claim(&mapping), "sub");
        let long = obj(json!({"email": "x".repeat(2049)}));
        assert!(map_attributes(&mapping, &long).is_err());
    }
}
