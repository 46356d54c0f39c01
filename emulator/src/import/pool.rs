//! A user pool's settings, as describe-user-pool and CloudFormation's `AWS::Cognito::UserPool`
//! both name them, mapped to a [`PoolConfig`]; values equal to Cognito's defaults are left out.

use serde_json::{Value, json};

use super::Note;
use super::fields::Fields;
use crate::cognito::attributes::STANDARD;
use crate::config::{CustomAttributeConfig, PasswordPolicyConfig, PoolConfig};
use crate::import::ImportError;

/// The triggers the emulator runs; others (CustomMessage, UserMigration, senders) are reported.
const TRIGGERS: &[&str] = &[
    "PreSignUp",
    "PostConfirmation",
    "PreAuthentication",
    "PostAuthentication",
    "DefineAuthChallenge",
    "CreateAuthChallenge",
    "VerifyAuthChallengeResponse",
    "PreTokenGeneration",
];

/// An empty pool with an id and a name, to be filled by [`common`].
pub fn new_pool(id: String, name: String) -> PoolConfig {
    PoolConfig {
        id,
        name,
        ..PoolConfig::default()
    }
}

/// The members both shapes share.
pub fn common(
    f: &mut Fields,
    pool: &mut PoolConfig,
    notes: &mut Vec<Note>,
) -> Result<(), ImportError> {
    pool.username_attributes = f.strings("UsernameAttributes")?;
    pool.alias_attributes = f.strings("AliasAttributes")?;
    pool.auto_verified_attributes = f.strings("AutoVerifiedAttributes")?;
    if let Some(mut u) = f.object("UsernameConfiguration")? {
        pool.username_case_sensitive = u.bool("CaseSensitive")?;
        u.report_rest(notes);
    }
    if let Some(l) = f.object("LambdaConfig")? {
        lambda(l, pool, notes)?;
    }
    if let Some(p) = f.object("Policies")? {
        policies(p, pool, notes)?;
    }
    match f.string("MfaConfiguration")?.as_deref() {
        None | Some("OFF") => {}
        Some(m) => pool.mfa = Some(m.to_owned()),
    }
    match f.string("UserPoolTier")?.as_deref() {
        None | Some("ESSENTIALS") => {}
        Some(t) => pool.tier = Some(t.to_owned()),
    }
    match f.string("DeletionProtection")?.as_deref() {
        None | Some("INACTIVE") => {}
        Some("ACTIVE") => pool.deletion_protection = Some(true),
        Some(other) => return Err(f.error("DeletionProtection", format!("unknown value {other}"))),
    }
    Ok(())
}

fn lambda(mut l: Fields, pool: &mut PoolConfig, notes: &mut Vec<Note>) -> Result<(), ImportError> {
    for trigger in TRIGGERS {
        if let Some(arn) = l.string(trigger)? {
            pool.lambda.insert((*trigger).to_owned(), arn);
        }
    }
    if let Some(mut c) = l.object("PreTokenGenerationConfig")? {
        let arn = c.required_string("LambdaArn")?;
        let version = c.string("LambdaVersion")?.unwrap_or_else(|| "V1_0".into());
        if version != "V1_0" {
            let reason = "the emulator sends the V1_0 event; imported as PreTokenGeneration";
            notes.push(c.note("LambdaVersion", &json!(version), reason));
        }
        pool.lambda.insert("PreTokenGeneration".into(), arn);
        c.report_rest(notes);
    }
    let others = l.path().to_owned();
    let reason = "the emulator does not run this trigger, ignored";
    for trigger in [
        "CustomMessage",
        "UserMigration",
        "CustomSMSSender",
        "CustomEmailSender",
    ] {
        if let Some(v) = l.take(trigger) {
            notes.push(Note::new(
                l.file(),
                &format!("{others}.{trigger}"),
                &v,
                reason,
            ));
        }
    }
    l.report_rest(notes);
    Ok(())
}

fn policies(
    mut p: Fields,
    pool: &mut PoolConfig,
    notes: &mut Vec<Note>,
) -> Result<(), ImportError> {
    if let Some(mut s) = p.object("SignInPolicy")? {
        let factors = s.strings("AllowedFirstAuthFactors")?;
        if factors != ["PASSWORD"] {
            pool.first_factors = factors;
        }
        s.report_rest(notes);
    }
    if let Some(mut pp) = p.object("PasswordPolicy")? {
        let policy = PasswordPolicyConfig {
            minimum_length: pp.int("MinimumLength")?.filter(|n| *n != 8),
            require_uppercase: pp.bool("RequireUppercase")?.filter(|b| !b),
            require_lowercase: pp.bool("RequireLowercase")?.filter(|b| !b),
            require_numbers: pp.bool("RequireNumbers")?.filter(|b| !b),
            require_symbols: pp.bool("RequireSymbols")?.filter(|b| !b),
            temporary_password_validity_days: pp
                .int("TemporaryPasswordValidityDays")?
                .filter(|n| *n != 7),
        };
        if policy != PasswordPolicyConfig::default() {
            pool.password_policy = Some(policy);
        }
        pp.report_rest(notes);
    }
    p.report_rest(notes);
    Ok(())
}

/// `SchemaAttributes` (describe) or `Schema` (CloudFormation): custom attributes are imported;
/// standard ones are the emulator's own schema, and a change to one is reported.
pub fn schema(
    list: Vec<Fields>,
    pool: &mut PoolConfig,
    notes: &mut Vec<Note>,
) -> Result<(), ImportError> {
    for mut a in list {
        let name = a.required_string("Name")?;
        if STANDARD.iter().any(|(n, _)| *n == name) {
            standard_attribute(a, &name, notes)?;
            continue;
        }
        let dev = name.starts_with("dev:");
        let bare = name
            .trim_start_matches("dev:")
            .trim_start_matches("custom:");
        let mut attr = CustomAttributeConfig {
            name: bare.to_owned(),
            data_type: a.string("AttributeDataType")?.filter(|t| t != "String"),
            mutable: a.bool("Mutable")?.filter(|m| !m),
            developer_only: a
                .bool("DeveloperOnlyAttribute")?
                .or(dev.then_some(true))
                .filter(|d| *d),
            min_length: None,
            max_length: None,
            min_value: None,
            max_value: None,
        };
        if let Some(mut c) = a.object("StringAttributeConstraints")? {
            attr.min_length = number_string(&mut c, "MinLength")?;
            attr.max_length = number_string(&mut c, "MaxLength")?;
            c.report_rest(notes);
        }
        if let Some(mut c) = a.object("NumberAttributeConstraints")? {
            attr.min_value = number_string(&mut c, "MinValue")?;
            attr.max_value = number_string(&mut c, "MaxValue")?;
            c.report_rest(notes);
        }
        a.skip_if("Required", &Value::Bool(false));
        a.report_rest(notes);
        pool.custom_attributes.push(attr);
    }
    Ok(())
}

/// A constraint AWS writes as a string ("2048") and templates sometimes as a number.
fn number_string(f: &mut Fields, key: &str) -> Result<Option<String>, ImportError> {
    Ok(f.int(key)?.map(|n| n.to_string()))
}

/// A standard attribute as Cognito describes it by default is nothing to import; a required
/// one, or one made immutable, is a setting the config cannot hold.
fn standard_attribute(mut a: Fields, name: &str, notes: &mut Vec<Note>) -> Result<(), ImportError> {
    let read_only = ["sub", "identities"].contains(&name);
    a.skip(&[
        "AttributeDataType",
        "DeveloperOnlyAttribute",
        "StringAttributeConstraints",
        "NumberAttributeConstraints",
    ]);
    if name == "sub" {
        a.skip(&["Required"]);
    }
    a.skip_if("Required", &Value::Bool(false));
    a.skip_if("Mutable", &Value::Bool(!read_only));
    let path = a.path().to_owned();
    let file = a.file().to_owned();
    let mut rest = Vec::new();
    a.report_rest(&mut rest);
    for n in rest {
        let member = n.path.rsplit('.').next().unwrap_or_default().to_owned();
        let path = format!("{path}({name}).{member}");
        notes.push(Note {
            path,
            file: file.clone(),
            ..n
        });
    }
    Ok(())
}
