//! Groups: Create/Get/List/DeleteGroup, membership, AdminListGroupsForUser, ListUsersInGroup.

use serde::Deserialize;
use serde_json::{Value, json};

use super::pools::secs;
use super::{check_limit, page_token, paged, pool};
use crate::cognito::Cognito;
use crate::cognito::error::{CognitoError, Exception, Result};
use crate::cognito::model::Group;
use crate::cognito::user;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateIn {
    user_pool_id: String,
    group_name: String,
    description: Option<String>,
    role_arn: Option<String>,
    precedence: Option<i64>,
}

fn to_wire(g: &Group) -> Value {
    let mut out = json!({
        "GroupName": g.name, "UserPoolId": g.pool_id,
        "LastModifiedDate": secs(g.modified), "CreationDate": secs(g.created),
    });
    if let Some(d) = &g.description {
        out["Description"] = json!(d);
    }
    if let Some(r) = &g.role_arn {
        out["RoleArn"] = json!(r);
    }
    if let Some(p) = g.precedence {
        out["Precedence"] = json!(p);
    }
    out
}

/// Create a group; also used for the `<poolId>_<Provider>` groups of federated users.
pub fn create_group(cx: &Cognito, input: CreateIn) -> Result<Group> {
    pool(cx, &input.user_pool_id)?;
    let name_ok = !input.group_name.is_empty()
        && input.group_name.chars().count() <= 128
        && !input.group_name.chars().any(char::is_whitespace);
    if !name_ok {
        return Err(CognitoError::validation(
            "groupName",
            &format!("'{}'", input.group_name),
            "Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+",
        ));
    }
    if input
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 2048)
    {
        return Err(CognitoError::validation(
            "description",
            "'...'",
            "Member must have length less than or equal to 2048",
        ));
    }
    if let Some(p) = input.precedence.filter(|p| *p < 0) {
        return Err(CognitoError::validation(
            "precedence",
            &p.to_string(),
            "Member must have value greater than or equal to 0",
        ));
    }
    let now = cx.clock.now_millis();
    let g = Group {
        pool_id: input.user_pool_id,
        name: input.group_name,
        description: input.description,
        precedence: input.precedence,
        role_arn: input.role_arn,
        created: now,
        modified: now,
    };
    cx.store.insert(&g.pool_id, &g.name, &g).map_err(|_| {
        CognitoError::new(
            Exception::GroupExists,
            format!("A group with the name {} already exists.", g.name),
        )
    })?;
    Ok(g)
}

pub fn create(cx: &Cognito, input: CreateIn) -> Result<Value> {
    Ok(json!({ "Group": to_wire(&create_group(cx, input)?) }))
}

fn group(cx: &Cognito, pool_id: &str, name: &str) -> Result<Group> {
    pool(cx, pool_id)?;
    cx.store
        .get(pool_id, name)?
        .ok_or_else(|| CognitoError::not_found("Group not found."))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupIn {
    user_pool_id: String,
    group_name: String,
}

pub fn get(cx: &Cognito, input: GroupIn) -> Result<Value> {
    Ok(json!({ "Group": to_wire(&group(cx, &input.user_pool_id, &input.group_name)?) }))
}

pub fn delete(cx: &Cognito, input: GroupIn) -> Result<Value> {
    let g = group(cx, &input.user_pool_id, &input.group_name)?;
    cx.store.delete::<Group>(&g.pool_id, &g.name)?;
    cx.store.delete_group_memberships(&g.pool_id, &g.name)?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListIn {
    user_pool_id: String,
    limit: Option<i64>,
    next_token: Option<String>,
}

pub fn list(cx: &Cognito, input: ListIn) -> Result<Value> {
    pool(cx, &input.user_pool_id)?;
    let limit = check_limit("limit", input.limit, 1, 60, 60)?;
    let all: Vec<Group> = cx.store.list(Some(&input.user_pool_id))?;
    paged(&all, "Groups", input.next_token.as_deref(), limit, to_wire)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MembershipIn {
    user_pool_id: String,
    username: String,
    group_name: String,
}

pub fn add_user(cx: &Cognito, input: MembershipIn) -> Result<Value> {
    let g = group(cx, &input.user_pool_id, &input.group_name)?;
    let pool = pool(cx, &input.user_pool_id)?;
    let u = user::get(cx, &pool, &input.username)?;
    cx.store.add_membership(&pool.id, &g.name, u.id)?;
    Ok(json!({}))
}

pub fn remove_user(cx: &Cognito, input: MembershipIn) -> Result<Value> {
    let g = group(cx, &input.user_pool_id, &input.group_name)?;
    let pool = pool(cx, &input.user_pool_id)?;
    let u = user::get(cx, &pool, &input.username)?;
    cx.store.remove_membership(&pool.id, &g.name, u.id)?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupsForUserIn {
    user_pool_id: String,
    username: String,
    limit: Option<i64>,
    next_token: Option<String>,
}

pub fn groups_for_user(cx: &Cognito, input: GroupsForUserIn) -> Result<Value> {
    let pool = pool(cx, &input.user_pool_id)?;
    let limit = check_limit("limit", input.limit, 1, 60, 60)?;
    let after = page_token::decode(input.next_token.as_deref())? as usize;
    let u = user::get(cx, &pool, &input.username)?;
    let names = cx.store.groups_of(u.id)?;
    let mut groups = Vec::new();
    for name in names.iter().skip(after).take(limit) {
        if let Some(g) = cx.store.get::<Group>(&pool.id, name)? {
            groups.push(to_wire(&g));
        }
    }
    let mut out = json!({ "Groups": groups });
    if after + limit < names.len() {
        out["NextToken"] = json!(page_token::encode((after + limit) as i64));
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UsersInGroupIn {
    user_pool_id: String,
    group_name: String,
    limit: Option<i64>,
    next_token: Option<String>,
}

pub fn users_in_group(cx: &Cognito, input: UsersInGroupIn) -> Result<Value> {
    let g = group(cx, &input.user_pool_id, &input.group_name)?;
    let limit = check_limit("limit", input.limit, 1, 60, 60)?;
    let after = page_token::decode(input.next_token.as_deref())?;
    let mut ids = cx.store.members_of(&g.pool_id, &g.name, after, limit)?;
    let more = ids.len() > limit;
    ids.truncate(limit);
    let mut users = Vec::new();
    for id in &ids {
        if let Some(u) = cx.store.user_by_id(*id)? {
            users.push(user::to_wire(&u, None));
        }
    }
    let mut out = json!({ "Users": users });
    if let (true, Some(last)) = (more, ids.last()) {
        out["NextToken"] = json!(page_token::encode(*last));
    }
    Ok(out)
}
