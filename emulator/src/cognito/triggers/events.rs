//! Trigger events as Cognito shapes them (version "1", `callerContext`, `request`,
//! `response`) and the typed reading of the handler's answer. Pure.

use serde_json::{Map, Value, json};

use crate::cognito::Cognito;
use crate::cognito::model::Pool;
use crate::cognito::tokens::ClaimOverrides;
use crate::store::UserRow;

/// The SDK version string Cognito puts in `callerContext`.
const SDK_VERSION: &str = "aws-sdk-unknown-unknown";

fn base(
    cx: &Cognito,
    pool: &Pool,
    client_id: Option<&str>,
    source: &str,
    username: &str,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("version".into(), json!("1"));
    m.insert("triggerSource".into(), json!(source));
    m.insert("region".into(), json!(cx.region));
    m.insert("userPoolId".into(), json!(pool.id));
    m.insert("userName".into(), json!(username));
    m.insert("callerContext".into(), json!({"awsSdkVersion": SDK_VERSION, "clientId": client_id.unwrap_or("CLIENT_ID_NOT_APPLICABLE")}));
    m
}

pub fn attributes(attrs: &[(String, String)]) -> Value {
    Value::Object(attrs.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

/// A PreSignUp event; the user does not exist yet.
pub fn pre_sign_up(
    cx: &Cognito,
    pool: &Pool,
    client_id: Option<&str>,
    source: &str,
    username: &str,
    attrs: &[(String, String)],
) -> Value {
    let mut m = base(cx, pool, client_id, source, username);
    let mut user_attributes = attributes(attrs);
    if source == "PreSignUp_ExternalProvider" {
        // Captured federated events carry these two, empty (the user has no alias yet).
        user_attributes["cognito:email_alias"] = json!("");
        user_attributes["cognito:phone_number_alias"] = json!("");
    }
    m.insert(
        "request".into(),
        json!({"userAttributes": user_attributes, "validationData": {}, "clientMetadata": {}}),
    );
    m.insert(
        "response".into(),
        json!({"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}),
    );
    Value::Object(m)
}

/// An event about an existing user: `userAttributes` include `sub` and `cognito:user_status`.
pub fn for_user(
    cx: &Cognito,
    pool: &Pool,
    client_id: Option<&str>,
    source: &str,
    user: &UserRow,
    request: Value,
    response: Value,
) -> Value {
    let mut m = base(cx, pool, client_id, source, &user.username);
    let mut attrs = attributes(&user.attributes);
    attrs["cognito:user_status"] = json!(user.status);
    let mut req = json!({"userAttributes": attrs, "clientMetadata": {}});
    if let (Value::Object(r), Value::Object(extra)) = (&mut req, request) {
        r.extend(extra);
    }
    m.insert("request".into(), req);
    m.insert("response".into(), response);
    Value::Object(m)
}

/// What a PreSignUp handler may ask for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PreSignUpAnswer {
    pub auto_confirm_user: bool,
    pub auto_verify_email: bool,
    pub auto_verify_phone: bool,
}

impl PreSignUpAnswer {
    /// Mark the contacts the handler verified (only those the user has).
    pub fn apply(&self, attrs: &mut Vec<(String, String)>) {
        for (wanted, name, flag) in [
            (self.auto_verify_email, "email", "email_verified"),
            (
                self.auto_verify_phone,
                "phone_number",
                "phone_number_verified",
            ),
        ] {
            if wanted && attrs.iter().any(|(k, _)| k == name) {
                crate::cognito::attributes::upsert(attrs, flag, "true");
            }
        }
    }
}

impl PreSignUpAnswer {
    pub fn from_response(r: &Value) -> Self {
        let flag = |k: &str| r.get(k).and_then(Value::as_bool).unwrap_or(false);
        Self {
            auto_confirm_user: flag("autoConfirmUser"),
            auto_verify_email: flag("autoVerifyEmail"),
            auto_verify_phone: flag("autoVerifyPhone"),
        }
    }
}

/// `response.claimsOverrideDetails` of a pre token generation (V1) answer.
pub fn claim_overrides(r: &Value) -> ClaimOverrides {
    let d = &r["claimsOverrideDetails"];
    let add = d["claimsToAddOrOverride"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let suppress = d["claimsToSuppress"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let groups = d["groupOverrideDetails"]["groupsToOverride"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        });
    ClaimOverrides {
        add,
        suppress,
        groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_leniently() {
        let a = PreSignUpAnswer::from_response(
            &json!({"autoConfirmUser": true, "autoVerifyEmail": "yes"}),
        );
        assert_eq!(
            a,
            PreSignUpAnswer {
                auto_confirm_user: true,
                auto_verify_email: false,
                auto_verify_phone: false
            }
        );
        let o = claim_overrides(
            &json!({"claimsOverrideDetails": {"claimsToAddOrOverride": {"tenant": "t1"}, "claimsToSuppress": ["email"], "groupOverrideDetails": {"groupsToOverride": ["admins"]}}}),
        );
        assert_eq!(o.add["tenant"], "t1");
        assert_eq!(o.suppress, ["email"]);
        assert_eq!(o.groups, Some(vec!["admins".to_owned()]));
        assert_eq!(
            claim_overrides(&json!({"claimsOverrideDetails": null})),
            ClaimOverrides::default()
        );
    }
}
