//! Secrets out of the journal: a list of sensitive members (passwords, secrets, codes,
//! sessions, tokens) recognised at any depth of a request or a query, whatever their case or
//! underscores, and scrubbed from error messages that echo them.

use serde_json::{Map, Value, json};

/// Sensitive members, by their name lower-cased without `_` (so `PASSWORD`, `Password`,
/// `client_secret` and `ClientSecret` all match).
const SECRETS: &[&str] = &[
    "password",
    "temporarypassword",
    "previouspassword",
    "proposedpassword",
    "newpassword",
    "clientsecret",
    "secrethash",
    "session",
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "token",
    "code",
    "usercode",
    "confirmationcode",
    "secretcode",
    "codeverifier",
    "devicesecretverifierconfig",
    "passwordclaimsignature",
    "passwordclaimsecretblock",
    "softwaretokenmfacode",
    "smsmfacode",
    "emailotpcode",
    "smsotpcode",
    "answer",
];

/// The secrets of a custom challenge inside trigger events and answers: the expected answer
/// (CreateAuthChallenge's private parameters) and the one the user gave. (`session` there is
/// the challenge history, not a secret.)
const CHALLENGE_SECRETS: &[&str] = &["privatechallengeparameters", "challengeanswer"];

fn normal(member: &str) -> String {
    member
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

pub fn is_secret(member: &str) -> bool {
    SECRETS.contains(&normal(member).as_str())
}

/// A trigger's event or answer with a custom challenge's secrets replaced by `***`.
pub fn trigger(value: Value) -> Value {
    let secret = |m: &str| CHALLENGE_SECRETS.contains(&normal(m).as_str());
    walk(value, &secret, &mut Vec::new())
}

/// `value` with every sensitive member's value replaced by `***`, and the texts replaced
/// (to scrub messages that quote them).
pub fn value(value: Value) -> (Value, Vec<String>) {
    let mut found = Vec::new();
    let v = walk(value, &is_secret, &mut found);
    (v, found)
}

fn walk(value: Value, secret: &dyn Fn(&str) -> bool, found: &mut Vec<String>) -> Value {
    match value {
        Value::Object(map) => {
            let out: Map<String, Value> = map
                .into_iter()
                .map(|(k, v)| {
                    if secret(&k) && !v.is_null() {
                        collect(&v, found);
                        (k, json!("***"))
                    } else {
                        let v = walk(v, secret, found);
                        (k, v)
                    }
                })
                .collect();
            Value::Object(out)
        }
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| walk(v, secret, found)).collect())
        }
        other => other,
    }
}

fn collect(v: &Value, found: &mut Vec<String>) {
    match v {
        Value::String(s) => found.push(s.clone()),
        Value::Number(n) => found.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|i| collect(i, found)),
        Value::Object(m) => m.values().for_each(|i| collect(i, found)),
        _ => {}
    }
}

/// `message` with every secret text in it replaced by `***` (short ones are left: they would
/// hide ordinary words).
pub fn message(message: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|s| s.chars().count() >= 4)
        .fold(message.to_owned(), |m, s| m.replace(s.as_str(), "***"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_found_at_any_depth_and_in_messages() {
        let body = json!({
            "ClientId": "c1",
            "AuthParameters": {"USERNAME": "ann", "PASSWORD": "Passw0rd!", "SECRET_HASH": "h4sh"},
            "ProviderDetails": {"client_id": "idp", "client_secret": "s3cr3t"},
            "Session": "abcd",
            "Password": 123456789,
            "UserAttributes": [{"Name": "email", "Value": "a@x.io"}],
        });
        let (v, found) = value(body);
        assert_eq!(v["AuthParameters"]["USERNAME"], "ann");
        assert_eq!(v["AuthParameters"]["PASSWORD"], "***");
        assert_eq!(v["AuthParameters"]["SECRET_HASH"], "***");
        assert_eq!(v["ProviderDetails"]["client_secret"], "***");
        assert_eq!(v["ProviderDetails"]["client_id"], "idp");
        assert_eq!(
            (&v["Session"], &v["Password"]),
            (&json!("***"), &json!("***"))
        );
        assert_eq!(v["UserAttributes"][0]["Value"], "a@x.io");
        let msg = "invalid type: integer `123456789`, expected a string";
        assert_eq!(
            message(msg, &found),
            "invalid type: integer `***`, expected a string"
        );
        assert!(is_secret("PASSWORD_CLAIM_SIGNATURE") && is_secret("client_secret"));
        assert!(!is_secret("USERNAME") && !is_secret("ClientId"));
        let event = json!({"request": {"session": [{"challengeName": "CUSTOM_CHALLENGE"}],
            "privateChallengeParameters": {"answer": "42"}, "challengeAnswer": "41"}});
        let t = trigger(event);
        assert_eq!(t["request"]["privateChallengeParameters"], "***");
        assert_eq!(t["request"]["challengeAnswer"], "***");
        assert_eq!(
            t["request"]["session"][0]["challengeName"],
            "CUSTOM_CHALLENGE"
        );
    }
}
