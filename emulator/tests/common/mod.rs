//! Shared test setup: an in-process emulator on a loopback port and the official AWS SDK
//! client pointed at it.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

pub mod signin;

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_smithy_types::Document;
use emulator::{Config, Running};
use serde_json::Value;

pub const POOL: &str = "us-east-1_Mosaic001";
pub const CLIENT: &str = "1example23456789abcdefghij";

pub struct Emu {
    pub running: Running,
    pub sdk: cip::Client,
}

impl Emu {
    pub fn url(&self) -> &str {
        &self.running.cognito_url
    }
}

pub fn sdk(url: &str) -> cip::Client {
    let conf = cip::Config::builder()
        .behavior_version(cip::config::BehaviorVersion::latest())
        .region(cip::config::Region::new("us-east-1"))
        .credentials_provider(cip::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .endpoint_url(url)
        .build();
    cip::Client::from_conf(conf)
}

/// The embedded default config (the guide's pool, client and IdP) on a free loopback port.
pub async fn start() -> Emu {
    start_with(Config::default_config()).await
}

pub async fn start_with(config: Config) -> Emu {
    let running = emulator::start(config.with_ephemeral_ports())
        .await
        .expect("emulator starts");
    let sdk = sdk(&running.cognito_url);
    Emu { running, sdk }
}

/// The AWS exception name of an SDK error (`__type` on the wire).
pub fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<no code>").to_owned()
}

pub fn message<E: ProvideErrorMetadata>(e: &E) -> String {
    e.message().unwrap_or("").to_owned()
}

pub fn attr(name: &str, value: &str) -> cip::types::AttributeType {
    cip::types::AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .expect("attribute")
}

/// Create a confirmed user with a permanent password in the default pool.
pub async fn confirmed_user(sdk: &cip::Client, email: &str, password: &str) -> String {
    let out = sdk
        .admin_create_user()
        .user_pool_id(POOL)
        .username(email)
        .user_attributes(attr("email", email))
        .user_attributes(attr("email_verified", "true"))
        .message_action(cip::types::MessageActionType::Suppress)
        .send()
        .await
        .expect("admin create user");
    sdk.admin_set_user_password()
        .user_pool_id(POOL)
        .username(email)
        .password(password)
        .permanent(true)
        .send()
        .await
        .expect("set password");
    out.user()
        .and_then(|u| u.username())
        .expect("username")
        .to_owned()
}

/// A JSON value as the SDK's `Document` (the passkey operations' JSON members).
pub fn to_doc(v: &Value) -> Document {
    match v {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => match n.as_u64() {
            Some(u) => Document::Number(aws_smithy_types::Number::PosInt(u)),
            None => match n.as_i64() {
                Some(i) => Document::Number(aws_smithy_types::Number::NegInt(i)),
                None => Document::Number(aws_smithy_types::Number::Float(n.as_f64().unwrap())),
            },
        },
        Value::String(s) => Document::String(s.clone()),
        Value::Array(a) => Document::Array(a.iter().map(to_doc).collect()),
        Value::Object(o) => {
            Document::Object(o.iter().map(|(k, v)| (k.clone(), to_doc(v))).collect())
        }
    }
}

/// A `aws_smithy_types::Document` as JSON.
pub fn from_doc(d: &Document) -> Value {
    match d {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(n) => match *n {
            aws_smithy_types::Number::PosInt(u) => Value::from(u),
            aws_smithy_types::Number::NegInt(i) => Value::from(i),
            aws_smithy_types::Number::Float(f) => Value::from(f),
        },
        Document::String(s) => Value::String(s.clone()),
        Document::Array(a) => Value::Array(a.iter().map(from_doc).collect()),
        Document::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), from_doc(v))).collect())
        }
    }
}

/// Let `pool_id` offer these first factors (PASSWORD is always among them), on the Essentials
/// plan, with emails verified by code: what passwordless sign-in needs of a pool.
pub async fn allow_first_factors(
    sdk: &cip::Client,
    pool_id: &str,
    factors: &[cip::types::AuthFactorType],
) {
    let mut policy = cip::types::SignInPolicyType::builder()
        .allowed_first_auth_factors(cip::types::AuthFactorType::Password);
    for f in factors {
        policy = policy.allowed_first_auth_factors(f.clone());
    }
    sdk.update_user_pool()
        .user_pool_id(pool_id)
        .auto_verified_attributes(cip::types::VerifiedAttributeType::Email)
        .policies(
            cip::types::UserPoolPolicyType::builder()
                .sign_in_policy(policy.build())
                .build(),
        )
        .user_pool_tier(cip::types::UserPoolTierType::Essentials)
        .send()
        .await
        .expect("update the pool's sign-in policy");
}

/// The code of the last message the outbox holds for `destination` (an email or a phone).
pub async fn last_code(url: &str, destination: &str) -> String {
    let mut outbox = url::Url::parse(&format!("{url}/_emulator/outbox")).expect("url");
    outbox
        .query_pairs_mut()
        .append_pair("destination", destination);
    let body: Value = reqwest::get(outbox.as_str())
        .await
        .expect("outbox")
        .json()
        .await
        .expect("outbox json");
    body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["code"].as_str())
        .unwrap_or_else(|| panic!("no message to {destination} in the outbox: {body}"))
        .to_owned()
}
