//! The JSON the AWS CLI prints for `describe-user-pool`, `describe-user-pool-client`,
//! `describe-identity-provider` and `list-groups` (botocore's member names).

use serde_json::{Map, Value, json};

use super::fields::Fields;
use super::{ImportError, Note, Owned, Piece, parts, pool};
use crate::config::ClientConfig;

/// Members that describe a resource rather than configure it.
const READ_ONLY: &[&str] = &[
    "Arn",
    "CreationDate",
    "LastModifiedDate",
    "EstimatedNumberOfUsers",
    "Status",
];

/// The top-level member of each output.
const KINDS: &[&str] = &["UserPool", "UserPoolClient", "IdentityProvider", "Groups"];

/// The pieces of one output, or `None` when the file is none of these shapes.
pub fn read(
    file: &str,
    top: &Map<String, Value>,
    notes: &mut Vec<Note>,
) -> Result<Option<Vec<Piece>>, ImportError> {
    let Some(kind) = KINDS.iter().find(|k| top.contains_key(**k)) else {
        return Ok(None);
    };
    let mut t = Fields::new(file, "", &Value::Object(top.clone()))?;
    let value = t.take(kind).unwrap_or(Value::Null);
    let f = || Fields::new(file, kind, &value);
    let pieces = match *kind {
        "UserPool" => vec![user_pool(f()?, notes)?],
        "UserPoolClient" => vec![client(f()?, notes)?],
        "IdentityProvider" => provider(f()?, notes)?.into_iter().collect(),
        _ => groups(&mut t, &value, notes)?,
    };
    t.report_rest(notes);
    Ok(Some(pieces))
}

fn user_pool(mut f: Fields, notes: &mut Vec<Note>) -> Result<Piece, ImportError> {
    let id = f.required_string("Id")?;
    let name = f.required_string("Name")?;
    let mut p = pool::new_pool(id, name);
    f.skip(READ_ONLY);
    pool::common(&mut f, &mut p, notes)?;
    let schema = f.objects("SchemaAttributes")?;
    pool::schema(schema, &mut p, notes)?;
    p.domain = f.string("Domain")?;
    if p.mfa.is_some() {
        // describe-user-pool says whether MFA is on, not with which factors.
        let why = "describe-user-pool does not name the MFA factors (get-user-pool-mfa-config \
                   does): mfa_factors set to SOFTWARE_TOKEN_MFA";
        notes.push(f.note("MfaConfiguration", &json!(p.mfa), why));
        p.mfa_factors = vec!["SOFTWARE_TOKEN_MFA".into()];
    }
    f.report_rest(notes);
    Ok(Piece::Pool(Box::new(p)))
}

fn client(mut f: Fields, notes: &mut Vec<Note>) -> Result<Piece, ImportError> {
    let pool_id = f.required_string("UserPoolId")?;
    let mut c = ClientConfig {
        id: f.required_string("ClientId")?,
        name: f.required_string("ClientName")?,
        secret: f.string("ClientSecret")?,
        ..ClientConfig::default()
    };
    f.skip(READ_ONLY);
    parts::client(&mut f, &mut c, notes)?;
    let (file, path) = (f.file().to_owned(), f.path().to_owned());
    f.report_rest(notes);
    Ok(Piece::Client(Owned {
        pool_id,
        item: c,
        file,
        path: format!("{path}.UserPoolId"),
    }))
}

fn provider(mut f: Fields, notes: &mut Vec<Note>) -> Result<Option<Piece>, ImportError> {
    let pool_id = f.required_string("UserPoolId")?;
    f.skip(READ_ONLY);
    let (file, path) = (f.file().to_owned(), format!("{}.UserPoolId", f.path()));
    Ok(parts::provider(f, notes)?.map(|item| {
        Piece::Provider(Owned {
            pool_id,
            item,
            file,
            path,
        })
    }))
}

/// `list-groups`: `{"Groups": [...], "NextToken"?}`; a `NextToken` means a page is missing.
fn groups(t: &mut Fields, list: &Value, notes: &mut Vec<Note>) -> Result<Vec<Piece>, ImportError> {
    if let Some(token) = t.take("NextToken") {
        let why = "more groups follow: run list-groups without --max-items (or give each page)";
        notes.push(t.note("NextToken", &token, why));
    }
    let Some(items) = list.as_array() else {
        return Err(t.error("Groups", "expected a list"));
    };
    let mut pieces = Vec::new();
    for (i, g) in items.iter().enumerate() {
        let mut g = Fields::new(t.file(), &format!("Groups[{i}]"), g)?;
        let pool_id = g.required_string("UserPoolId")?;
        g.skip(READ_ONLY);
        let path = format!("{}.UserPoolId", g.path());
        let file = g.file().to_owned();
        let item = parts::group(g, None, notes)?;
        pieces.push(Piece::Group(Owned {
            pool_id,
            item,
            file,
            path,
        }));
    }
    Ok(pieces)
}
