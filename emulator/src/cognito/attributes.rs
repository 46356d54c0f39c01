//! User attributes: the standard schema, validation of attribute lists, and wire formatting.

use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{CognitoError, Result};
use super::model::Pool;

/// Cognito's standard attributes and their data types, in DescribeUserPool's order.
pub const STANDARD: &[(&str, &str)] = &[
    ("sub", "String"),
    ("name", "String"),
    ("given_name", "String"),
    ("family_name", "String"),
    ("middle_name", "String"),
    ("nickname", "String"),
    ("preferred_username", "String"),
    ("profile", "String"),
    ("picture", "String"),
    ("website", "String"),
    ("email", "String"),
    ("email_verified", "Boolean"),
    ("gender", "String"),
    ("birthdate", "String"),
    ("zoneinfo", "String"),
    ("locale", "String"),
    ("phone_number", "String"),
    ("phone_number_verified", "Boolean"),
    ("address", "String"),
    ("updated_at", "Number"),
    ("identities", "String"),
];

/// Attributes only Cognito itself writes.
const READ_ONLY: &[&str] = &["sub", "identities"];

/// The longest attribute value Cognito stores.
pub const MAX_VALUE_LEN: usize = 2048;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeIn {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
}

/// The full schema DescribeUserPool returns: standard attributes, then the pool's custom ones.
pub fn schema(pool: &Pool) -> Vec<Value> {
    let required_names = required(pool);
    let mut out: Vec<Value> = STANDARD
        .iter()
        .map(|(name, ty)| {
            let mutable = !READ_ONLY.contains(name);
            let required = required_names.contains(name);
            let mut a = json!({
                "Name": name, "AttributeDataType": ty, "DeveloperOnlyAttribute": false,
                "Mutable": mutable, "Required": required,
            });
            if *ty == "String" {
                let min = if *name == "sub" { "1" } else { "0" };
                a["StringAttributeConstraints"] = json!({"MinLength": min, "MaxLength": "2048"});
            }
            a
        })
        .collect();
    out.extend(pool.schema.iter().cloned());
    out
}

/// The standard attributes the pool's `Schema` marks `Required`, in DescribeUserPool's order.
pub fn required(pool: &Pool) -> Vec<&'static str> {
    let schema = pool.settings.get("Schema").and_then(Value::as_array);
    STANDARD
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            schema.is_some_and(|s| {
                s.iter()
                    .any(|a| a["Name"] == *name && a["Required"] == true)
            })
        })
        .collect()
}

/// Refuse a new user's attributes when one the schema requires is missing or empty.
pub fn check_required(pool: &Pool, attrs: &[(String, String)]) -> Result<()> {
    for name in required(pool) {
        if !attrs.iter().any(|(n, v)| n == name && !v.is_empty()) {
            return Err(CognitoError::invalid(format!(
                "Attributes did not conform to the schema: {name}: The attribute is required"
            )));
        }
    }
    Ok(())
}

/// May a user or an admin write `name` (not `sub` or `identities`, which Cognito writes)?
pub fn writable(name: &str) -> bool {
    !READ_ONLY.contains(&name)
}

/// Is `name` an attribute this pool knows (standard, or one of its custom attributes)?
pub fn known(pool: &Pool, name: &str) -> bool {
    STANDARD.iter().any(|(n, _)| *n == name) || pool.is_custom_attribute(name)
}

/// Validate attributes being written by a user or admin. `admin` may not write `sub` either.
pub fn validate(pool: &Pool, attrs: &[AttributeIn]) -> Result<()> {
    for a in attrs {
        if !known(pool, &a.name) {
            return Err(CognitoError::invalid(format!(
                "Attributes did not conform to the schema: {}: Attribute does not exist in the schema.\n",
                a.name
            )));
        }
        if READ_ONLY.contains(&a.name.as_str()) {
            return Err(CognitoError::invalid(format!(
                "Cannot modify an immutable attribute: {}",
                a.name
            )));
        }
        let value = a.value.as_deref().unwrap_or("");
        if value.chars().count() > MAX_VALUE_LEN {
            return Err(CognitoError::invalid(format!(
                "Attributes did not conform to the schema: {}: String must be no longer than 2048 characters",
                a.name
            )));
        }
        match a.name.as_str() {
            "email" if !value.is_empty() && !is_email(value) => {
                return Err(CognitoError::invalid("Invalid email address format."));
            }
            "phone_number" if !value.is_empty() && !is_phone(value) => {
                return Err(CognitoError::invalid("Invalid phone number format."));
            }
            "email_verified" | "phone_number_verified" if value != "true" && value != "false" => {
                return Err(CognitoError::invalid(format!(
                    "Invalid value for {}: must be true or false.",
                    a.name
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A loose check of an email address: one `@`, a dot in the domain, no spaces.
pub fn is_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !v.contains(char::is_whitespace)
        && !domain.contains('@')
}

/// E.164: `+` then 1 to 15 digits.
pub fn is_phone(v: &str) -> bool {
    v.strip_prefix('+')
        .is_some_and(|d| (1..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Set (or replace) attributes on a stored list, keeping first-seen order.
/// Attributes as a request gave them, as (name, value) pairs (an absent value is empty).
pub fn pairs(attrs: &[AttributeIn]) -> Vec<(String, String)> {
    attrs
        .iter()
        .map(|a| (a.name.clone(), a.value.clone().unwrap_or_default()))
        .collect()
}

pub fn upsert(list: &mut Vec<(String, String)>, name: &str, value: &str) {
    match list.iter_mut().find(|(n, _)| n == name) {
        Some(slot) => slot.1 = value.to_owned(),
        None => list.push((name.to_owned(), value.to_owned())),
    }
}

pub fn remove(list: &mut Vec<(String, String)>, name: &str) {
    list.retain(|(n, _)| n != name);
}

/// `[{"Name", "Value"}]` as the wire shows attributes, optionally only `only`.
pub fn to_wire(list: &[(String, String)], only: Option<&[String]>) -> Value {
    let items: Vec<Value> = list
        .iter()
        .filter(|(n, _)| only.is_none_or(|o| o.iter().any(|x| x == n)))
        .map(|(n, v)| json!({"Name": n, "Value": v}))
        .collect();
    Value::Array(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_and_phone_shapes() {
        for (v, ok) in [
            ("a@b.co", true),
            ("a@b", false),
            ("@b.co", false),
            ("a b@c.co", false),
            ("a@@b.co", false),
        ] {
            assert_eq!(is_email(v), ok, "{v}");
        }
        for (v, ok) in [
            ("+15551234567", true),
            ("15551234567", false),
            ("+1-555", false),
            ("+", false),
        ] {
            assert_eq!(is_phone(v), ok, "{v}");
        }
    }

    #[test]
    fn upsert_keeps_order() {
        let mut l = vec![("a".to_owned(), "1".to_owned())];
        upsert(&mut l, "b", "2");
        upsert(&mut l, "a", "3");
        assert_eq!(l, [("a".into(), "3".into()), ("b".into(), "2".into())]);
    }
}
