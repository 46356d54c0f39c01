//! AdminCreateUser, AdminGetUser, AdminDeleteUser, Admin{Update,Delete}UserAttributes,
//! Admin{Disable,Enable}User, AdminSetUserPassword and ListUsers.

use serde::Deserialize;
use serde_json::{Value, json};

use super::pools::secs;
use super::{check_limit, page_token, pool};
use crate::cognito::attributes::{self, AttributeIn};
use crate::cognito::error::{CognitoError, Exception, Result};
use crate::cognito::filter::{self, MatchType, SearchAttribute};
use crate::cognito::model::Pool;
use crate::cognito::user::{self, UserState};
use crate::cognito::{Cognito, password};
use crate::outbox::Channel;
use crate::store::{AttrQuery, UserQuery, UserRow};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminCreateIn {
    user_pool_id: String,
    username: String,
    #[serde(default)]
    user_attributes: Vec<AttributeIn>,
    temporary_password: Option<String>,
    message_action: Option<String>,
    desired_delivery_mediums: Option<Vec<String>>,
    #[serde(default)]
    force_alias_creation: bool,
}

/// Build a new user row: validated attributes, `sub`, username rules, uniqueness.
pub fn new_user(
    cx: &Cognito,
    pool: &Pool,
    username: &str,
    attrs: &[AttributeIn],
    status: &str,
) -> Result<UserRow> {
    attributes::validate(pool, attrs)?;
    let sub = user::fresh_sub(cx, pool)?;
    let mut list = vec![("sub".to_owned(), sub.clone())];
    for a in attrs {
        attributes::upsert(&mut list, &a.name, a.value.as_deref().unwrap_or(""));
    }
    let username = user::new_username(pool, username, &sub, &mut list)?;
    if cx
        .store
        .user_by_username(&pool.id, &pool.username_key(&username))?
        .is_some()
    {
        return Err(CognitoError::new(
            Exception::UsernameExists,
            "User account already exists",
        ));
    }
    let now = cx.clock.now_millis();
    Ok(UserRow {
        id: 0,
        pool_id: pool.id.clone(),
        username_key: pool.username_key(&username),
        username,
        sub,
        status: status.to_owned(),
        enabled: true,
        created: now,
        modified: now,
        attributes: list,
        doc: Value::Null,
    })
}

/// AdminCreateUser: validated first, then PreSignUp (its answer may verify contacts), then
/// one write.
pub async fn admin_create(cx: &Cognito, input: AdminCreateIn, flow: &str) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    let policy = pool.password_policy();
    if input.message_action.as_deref() == Some("RESEND") {
        let mut u = user::get(cx, &pool, &input.username)?;
        if u.status != "FORCE_CHANGE_PASSWORD" {
            return Err(CognitoError::new(
                Exception::UnsupportedUserState,
                "User status must be FORCE_CHANGE_PASSWORD to resend the invitation.",
            ));
        }
        send_invitation(
            cx,
            &pool,
            &mut u,
            input.temporary_password,
            input.desired_delivery_mediums.as_deref(),
        )?;
        cx.store.update_user(&u)?;
        return Ok(json!({ "User": user::to_wire(&u, None) }));
    }
    if let Some(action) = input.message_action.as_deref().filter(|a| *a != "SUPPRESS") {
        return Err(CognitoError::validation(
            "messageAction",
            &format!("'{action}'"),
            "Member must satisfy enum value set: [RESEND, SUPPRESS]",
        ));
    }
    if let Some(p) = &input.temporary_password {
        password::check(&policy, p)?;
    }
    let mut u = new_user(
        cx,
        &pool,
        &input.username,
        &input.user_attributes,
        "FORCE_CHANGE_PASSWORD",
    )?;
    if !input.force_alias_creation {
        user::check_unique(cx, &pool, &u.attributes, None)?;
    }
    let given = attributes::pairs(&input.user_attributes);
    let answer = crate::cognito::triggers::pre_sign_up(
        cx,
        &pool,
        None,
        "PreSignUp_AdminCreateUser",
        &input.username,
        &given,
        flow,
    )
    .await
    .map_err(|e| e.api_error("PreSignUp"))?;
    answer.apply(&mut u.attributes);
    if input.force_alias_creation {
        move_aliases(cx, &pool, &u.attributes)?;
    }
    user::check_unique(cx, &pool, &u.attributes, None)?;
    if input.message_action.as_deref() == Some("SUPPRESS") {
        let temp = input
            .temporary_password
            .unwrap_or_else(|| password::temporary(&cx.entropy));
        set_temporary(cx, &pool, &mut u, &temp);
    } else {
        send_invitation(
            cx,
            &pool,
            &mut u,
            input.temporary_password,
            input.desired_delivery_mediums.as_deref(),
        )?;
    }
    let u = cx
        .store
        .insert_user(u)
        .map_err(|_| CognitoError::new(Exception::UsernameExists, "User account already exists"))?;
    Ok(json!({ "User": user::to_wire(&u, None) }))
}

fn set_temporary(cx: &Cognito, pool: &Pool, u: &mut UserRow, temp: &str) {
    let mut state = UserState::of(u);
    state.set_password(cx, &pool.id, &u.username, temp);
    state.temporary_expires =
        Some(cx.clock.now_millis() + pool.password_policy().temporary_validity_days * 86_400_000);
    state.store_in(u);
}

/// Set a temporary password and "send" the invitation to the outbox.
fn send_invitation(
    cx: &Cognito,
    pool: &Pool,
    u: &mut UserRow,
    temp: Option<String>,
    mediums: Option<&[String]>,
) -> Result<String> {
    let temp = temp.unwrap_or_else(|| password::temporary(&cx.entropy));
    set_temporary(cx, pool, u, &temp);
    let mediums = mediums
        .map(<[String]>::to_vec)
        .unwrap_or_else(|| vec!["SMS".to_owned()]);
    let body = format!(
        "Your username is {} and temporary password is {temp}.",
        u.username
    );
    for m in &mediums {
        let (channel, attr) = match m.as_str() {
            "EMAIL" => (Channel::Email, "email"),
            "SMS" => (Channel::Sms, "phone_number"),
            other => {
                return Err(CognitoError::validation(
                    "desiredDeliveryMediums",
                    &format!("'{other}'"),
                    "Member must satisfy enum value set: [SMS, EMAIL]",
                ));
            }
        };
        if let Some(dest) = u.attribute(attr) {
            cx.outbox.send(
                channel,
                dest,
                "AdminCreateUser",
                &pool.id,
                &temp,
                body.clone(),
            );
        }
    }
    Ok(temp)
}

/// ForceAliasCreation: take verified aliases away from the users that hold them.
fn move_aliases(cx: &Cognito, pool: &Pool, attrs: &[(String, String)]) -> Result<()> {
    for name in pool.alias_attributes() {
        let Some((_, value)) = attrs.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        for mut other in cx.store.users_by_attribute(&pool.id, &name, value)? {
            attributes::upsert(&mut other.attributes, &format!("{name}_verified"), "false");
            cx.store.update_user(&other)?;
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserIn {
    user_pool_id: String,
    username: String,
}

pub fn admin_get(cx: &Cognito, input: UserIn) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    let u = user::get(cx, &pool, &input.username)?;
    let mut out = json!({
        "Username": u.username,
        "UserAttributes": attributes::to_wire(&u.attributes, None),
        "UserCreateDate": secs(u.created),
        "UserLastModifiedDate": secs(u.modified),
        "Enabled": u.enabled,
        "UserStatus": u.status,
    });
    super::account::mfa_wire(&pool, &u, &mut out);
    Ok(out)
}

pub fn admin_delete(cx: &Cognito, input: UserIn) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    let u = user::get(cx, &pool, &input.username)?;
    cx.store.delete_user(u.id)?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAttrsIn {
    user_pool_id: String,
    username: String,
    user_attributes: Vec<AttributeIn>,
}

/// Apply attribute updates: a changed email or phone number is unverified unless the update
/// says otherwise.
pub fn apply_updates(
    cx: &Cognito,
    pool: &Pool,
    u: &mut UserRow,
    updates: &[AttributeIn],
) -> Result<()> {
    attributes::validate(pool, updates)?;
    let mut list = u.attributes.clone();
    for a in updates {
        let value = a.value.as_deref().unwrap_or("");
        for (attr, flag) in [
            ("email", "email_verified"),
            ("phone_number", "phone_number_verified"),
        ] {
            let changed = a.name == attr && u.attribute(attr) != Some(value);
            if changed && !updates.iter().any(|x| x.name == flag) {
                attributes::upsert(&mut list, flag, "false");
            }
        }
        attributes::upsert(&mut list, &a.name, value);
    }
    user::check_unique(cx, pool, &list, Some(u.id))?;
    u.attributes = list;
    u.modified = cx.clock.now_millis();
    Ok(())
}

pub fn admin_update_attributes(cx: &Cognito, input: UpdateAttrsIn) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    let mut u = user::get(cx, &pool, &input.username)?;
    apply_updates(cx, &pool, &mut u, &input.user_attributes)?;
    cx.store.update_user(&u)?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteAttrsIn {
    user_pool_id: String,
    username: String,
    user_attribute_names: Vec<String>,
}

pub fn admin_delete_attributes(cx: &Cognito, input: DeleteAttrsIn) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    let mut u = user::get(cx, &pool, &input.username)?;
    delete_attributes_of(cx, &pool, &mut u, &input.user_attribute_names)?;
    Ok(json!({}))
}

/// Remove attributes (not `sub` nor a username attribute) and write the user back.
pub fn delete_attributes_of(
    cx: &Cognito,
    pool: &Pool,
    u: &mut UserRow,
    names: &[String],
) -> Result<()> {
    for name in names {
        if !attributes::known(pool, name) {
            return Err(CognitoError::invalid(format!(
                "Attribute {name} does not exist in the user pool schema."
            )));
        }
        if name == "sub" || pool.username_attributes().contains(name) {
            return Err(CognitoError::invalid(format!(
                "Cannot delete the required attribute: {name}"
            )));
        }
    }
    for name in names {
        attributes::remove(&mut u.attributes, name);
    }
    u.modified = cx.clock.now_millis();
    cx.store.update_user(u)?;
    Ok(())
}

fn set_enabled(cx: &Cognito, input: UserIn, enabled: bool) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    let mut u = user::get(cx, &pool, &input.username)?;
    u.enabled = enabled;
    u.modified = cx.clock.now_millis();
    cx.store.update_user(&u)?;
    Ok(json!({}))
}

pub fn admin_disable(cx: &Cognito, input: UserIn) -> Result<Value> {
    set_enabled(cx, input, false)
}

pub fn admin_enable(cx: &Cognito, input: UserIn) -> Result<Value> {
    set_enabled(cx, input, true)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetPasswordIn {
    user_pool_id: String,
    username: String,
    password: String,
    #[serde(default)]
    permanent: bool,
}

pub fn admin_set_password(cx: &Cognito, input: SetPasswordIn) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    let mut u = user::get(cx, &pool, &input.username)?;
    if u.status == "EXTERNAL_PROVIDER" {
        return Err(CognitoError::invalid(
            "Cannot set a password for a user of an external provider.",
        ));
    }
    password::check(&pool.password_policy(), &input.password)?;
    if input.permanent {
        let mut state = UserState::of(&u);
        state.set_password(cx, &pool.id, &u.username, &input.password);
        state.temporary_expires = None;
        state.store_in(&mut u);
        u.status = "CONFIRMED".into();
    } else {
        set_temporary(cx, &pool, &mut u, &input.password);
        u.status = "FORCE_CHANGE_PASSWORD".into();
    }
    u.modified = cx.clock.now_millis();
    cx.store.update_user(&u)?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListIn {
    user_pool_id: String,
    attributes_to_get: Option<Vec<String>>,
    limit: Option<i64>,
    pagination_token: Option<String>,
    filter: Option<String>,
}

/// Translate a parsed filter into an index query, applying each attribute's case rule.
fn to_query(pool: &Pool, f: filter::Filter) -> UserQuery {
    let prefix = f.match_type == MatchType::Prefix;
    let q = |value: String| AttrQuery { value, prefix };
    match f.attribute {
        SearchAttribute::Username => UserQuery::UsernameKey(q(pool.username_key(&f.value))),
        SearchAttribute::Sub => UserQuery::Sub(q(f.value)),
        SearchAttribute::UserStatus => UserQuery::Status(q(f.value.to_uppercase())),
        SearchAttribute::Status => {
            let hit = |label: &str| {
                if prefix {
                    label.starts_with(&f.value)
                } else {
                    label == f.value
                }
            };
            UserQuery::Enabled(
                [(true, "Enabled"), (false, "Disabled")]
                    .into_iter()
                    .filter(|(_, l)| hit(l))
                    .map(|(b, _)| b)
                    .collect(),
            )
        }
        other => UserQuery::Attribute {
            name: other.as_str().to_owned(),
            query: q(f.value),
        },
    }
}

pub fn list(cx: &Cognito, input: ListIn) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    let limit = check_limit("limit", input.limit, 0, 60, 60)?;
    let parsed = filter::parse(input.filter.as_deref().unwrap_or(""))
        .map_err(|e| CognitoError::invalid(e.message))?;
    if let Some(bad) = input
        .attributes_to_get
        .iter()
        .flatten()
        .find(|n| !attributes::known(&pool, n))
    {
        return Err(CognitoError::invalid(format!(
            "One or more requested attributes do not exist: {bad}"
        )));
    }
    let after = page_token::decode(input.pagination_token.as_deref())?;
    let query = parsed.map(|f| to_query(&pool, f)).unwrap_or(UserQuery::All);
    let page = if limit == 0 {
        crate::store::Page {
            users: Vec::new(),
            next_after: None,
        }
    } else {
        cx.store.list_users(&pool.id, &query, after, limit)?
    };
    let users: Vec<Value> = page
        .users
        .iter()
        .map(|u| user::to_wire(u, input.attributes_to_get.as_deref()))
        .collect();
    let mut out = json!({ "Users": users });
    if let Some(next) = page.next_after {
        out["PaginationToken"] = json!(page_token::encode(next));
    }
    Ok(out)
}
