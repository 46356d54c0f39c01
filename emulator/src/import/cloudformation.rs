//! The `AWS::Cognito::*` resources of a CloudFormation template in JSON, as `cdk synth`
//! writes it: pools, clients, identity providers, groups and domains, linked to their pool
//! through `Ref`/`Fn::GetAtt` (resolved by `intrinsics.rs`). Ids Cognito draws at deploy time
//! are derived from the logical ids.

use serde_json::{Value, json};

use super::fields::Fields;
use super::intrinsics::Template;
use super::{ImportError, Note, Owned, Piece, UNSUPPORTED, parts, pool};
use crate::config::{ClientConfig, WebAuthnConfig};

pub fn read(file: &str, top: &Value, notes: &mut Vec<Note>) -> Result<Vec<Piece>, ImportError> {
    let Some(resources) = top.get("Resources").and_then(Value::as_object) else {
        return Err(ImportError::shape(
            file,
            "Resources",
            "expected an object of resources",
        ));
    };
    let t = Template::new(file, resources, top);
    let mut pieces = Vec::new();
    for (logical, r) in resources {
        let path = format!("Resources.{logical}");
        let Some(ty) = r.get("Type").and_then(Value::as_str) else {
            return Err(ImportError::shape(file, &format!("{path}.Type"), "missing"));
        };
        if !ty.starts_with("AWS::Cognito::") {
            continue;
        }
        if let Some(c) = r.get("Condition") {
            let why = "the resource has a Condition: imported as if it held";
            notes.push(Note::new(file, &format!("{path}.Condition"), c, why));
        }
        let raw = r.get("Properties").cloned().unwrap_or_else(|| json!({}));
        let props_path = format!("{path}.Properties");
        let props = t.resolve(&raw, &props_path)?;
        let f = Fields::new(file, &props_path, &props)?;
        let piece = match ty {
            "AWS::Cognito::UserPool" => Some(user_pool(&t, logical, f, notes)?),
            "AWS::Cognito::UserPoolClient" => Some(client(logical, f, notes)?),
            "AWS::Cognito::UserPoolIdentityProvider" => provider(f, notes)?,
            "AWS::Cognito::UserPoolGroup" => Some(group(logical, f, notes)?),
            "AWS::Cognito::UserPoolDomain" => domain(f, notes)?,
            other => {
                notes.push(Note::new(file, &path, &json!(other), UNSUPPORTED));
                None
            }
        };
        pieces.extend(piece);
    }
    Ok(pieces)
}

/// The owning pool's id, from a resolved `UserPoolId`.
fn owner<T>(f: &mut Fields, item: T) -> Result<Owned<T>, ImportError> {
    let path = f.at("UserPoolId");
    Ok(Owned {
        pool_id: f.required_string("UserPoolId")?,
        item,
        file: f.file().to_owned(),
        path,
    })
}

fn user_pool(
    t: &Template,
    logical: &str,
    mut f: Fields,
    notes: &mut Vec<Note>,
) -> Result<Piece, ImportError> {
    let name = f
        .string("UserPoolName")?
        .unwrap_or_else(|| logical.to_owned());
    let mut p = pool::new_pool(t.pool_id(logical), name);
    pool::common(&mut f, &mut p, notes)?;
    let schema = f.objects("Schema")?;
    pool::schema(schema, &mut p, notes)?;
    p.mfa_factors = f.strings("EnabledMfas")?;
    // Production's relying party is a host the emulator does not serve (SetUserPoolMfaConfig
    // would refuse it): passkeys use the emulator's own host, its default.
    if let Some(rp_id) = f.string("WebAuthnRelyingPartyID")? {
        let why = "a production host: the emulator's passkeys use its own host (rp_id left out)";
        notes.push(f.note("WebAuthnRelyingPartyID", &json!(rp_id), why));
        p.webauthn = Some(WebAuthnConfig::default());
    }
    if let Some(uv) = f.string("WebAuthnUserVerification")? {
        p.webauthn
            .get_or_insert_with(WebAuthnConfig::default)
            .user_verification = Some(uv);
    }
    f.report_rest(notes);
    Ok(Piece::Pool(Box::new(p)))
}

fn client(logical: &str, mut f: Fields, notes: &mut Vec<Note>) -> Result<Piece, ImportError> {
    let mut c = ClientConfig {
        id: logical.to_owned(),
        name: f
            .string("ClientName")?
            .unwrap_or_else(|| logical.to_owned()),
        ..ClientConfig::default()
    };
    if f.bool("GenerateSecret")? == Some(true) {
        let secret = format!("{}-secret", logical.to_lowercase());
        let why = format!(
            "Cognito draws the secret at deploy time: the emulator's client gets secret = \"{secret}\""
        );
        notes.push(f.note("GenerateSecret", &json!(true), why));
        c.secret = Some(secret);
    }
    parts::client(&mut f, &mut c, notes)?;
    let owned = owner(&mut f, c)?;
    f.report_rest(notes);
    Ok(Piece::Client(owned))
}

fn provider(mut f: Fields, notes: &mut Vec<Note>) -> Result<Option<Piece>, ImportError> {
    let path = f.at("UserPoolId");
    let pool_id = f.required_string("UserPoolId")?;
    let file = f.file().to_owned();
    Ok(parts::provider(f, notes)?.map(|item| {
        Piece::Provider(Owned {
            pool_id,
            item,
            file,
            path,
        })
    }))
}

fn group(logical: &str, mut f: Fields, notes: &mut Vec<Note>) -> Result<Piece, ImportError> {
    let path = f.at("UserPoolId");
    let pool_id = f.required_string("UserPoolId")?;
    let file = f.file().to_owned();
    // CloudFormation names an unnamed group after its logical id.
    let item = parts::group(f, Some(logical), notes)?;
    Ok(Piece::Group(Owned {
        pool_id,
        item,
        file,
        path,
    }))
}

/// A prefix domain; a custom domain (`CustomDomainConfig`) is reported.
fn domain(mut f: Fields, notes: &mut Vec<Note>) -> Result<Option<Piece>, ImportError> {
    let domain = f.required_string("Domain")?;
    if let Some(custom) = f.take("CustomDomainConfig") {
        let why = format!("custom domain {domain}: the config holds prefix domains only, ignored");
        notes.push(f.note("CustomDomainConfig", &custom, why));
        f.take("UserPoolId");
        f.report_rest(notes);
        return Ok(None);
    }
    let owned = owner(&mut f, domain)?;
    f.report_rest(notes);
    Ok(Some(Piece::Domain(owned)))
}
