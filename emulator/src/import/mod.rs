//! `emulator import`: a team's real Cognito configuration (the JSON of `aws cognito-idp
//! describe-*`/`list-groups`, or the `AWS::Cognito::*` resources of a CloudFormation template)
//! turned into the emulator's TOML config; every setting the config cannot hold is reported by
//! name, never dropped silently. `export` is the way back, from a running emulator.

mod aws_json;
pub mod cli;
mod cloudformation;
pub mod export;
mod fields;
mod intrinsics;
mod parts;
mod pool;
mod toml_out;

use serde_json::Value;

use crate::config::{ClientConfig, IdpConfig, PoolConfig};

pub use toml_out::{pools_toml, render};

/// Why a setting was not imported, when the config has no place for it.
pub const UNSUPPORTED: &str = "not supported by the config, ignored";

/// One input file: its name (for messages) and its text.
#[derive(Debug)]
pub struct Input {
    pub name: String,
    pub text: String,
}

/// What an import gives: the pools, and every setting it could not carry over.
#[derive(Debug, Default)]
pub struct Imported {
    pub pools: Vec<PoolConfig>,
    pub notes: Vec<Note>,
}

/// A setting read from a file and not imported as it was, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub file: String,
    /// The setting's path in its file: `UserPool.MfaConfiguration`.
    pub path: String,
    /// Its value, as compact JSON (long values shortened).
    pub value: String,
    pub reason: String,
}

impl Note {
    pub fn new(file: &str, path: &str, value: &Value, reason: impl Into<String>) -> Self {
        let mut value = value.to_string();
        if value.chars().count() > 120 {
            value = format!("{}...", value.chars().take(117).collect::<String>());
        }
        Self {
            file: file.to_owned(),
            path: path.to_owned(),
            value,
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} = {}: {}",
            self.file, self.path, self.value, self.reason
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: not valid JSON: {message}")]
    Json { file: String, message: String },
    #[error("{file}: {path}: {message}")]
    Shape {
        file: String,
        path: String,
        message: String,
    },
    #[error("cannot write the config: {0}")]
    Render(String),
}

impl ImportError {
    pub fn shape(file: &str, path: &str, message: impl Into<String>) -> Self {
        Self::Shape {
            file: file.to_owned(),
            path: path.to_owned(),
            message: message.into(),
        }
    }
}

/// A piece of configuration read from one file, before pieces are put together by pool.
pub(crate) enum Piece {
    Pool(Box<PoolConfig>),
    Client(Owned<ClientConfig>),
    Provider(Owned<IdpConfig>),
    Group(Owned<String>),
    Domain(Owned<String>),
}

/// A piece that belongs to a pool, with where it was read (for errors).
pub(crate) struct Owned<T> {
    pub pool_id: String,
    pub item: T,
    pub file: String,
    pub path: String,
}

/// Read every file and put the pieces together by pool.
pub fn import(inputs: &[Input]) -> Result<Imported, ImportError> {
    let mut notes = Vec::new();
    let mut pieces = Vec::new();
    for input in inputs {
        let value: Value = serde_json::from_str(&input.text).map_err(|e| ImportError::Json {
            file: input.name.clone(),
            message: e.to_string(),
        })?;
        pieces.extend(read(&input.name, &value, &mut notes)?);
    }
    let mut pools = assemble(pieces)?;
    parts::check_clients(&mut pools, &mut notes);
    Ok(Imported { pools, notes })
}

/// Recognise a file by its content.
fn read(file: &str, value: &Value, notes: &mut Vec<Note>) -> Result<Vec<Piece>, ImportError> {
    let Some(object) = value.as_object() else {
        return Err(ImportError::shape(file, "(top level)", unknown_shape()));
    };
    if object.contains_key("Resources") {
        return cloudformation::read(file, value, notes);
    }
    aws_json::read(file, object, notes)?.ok_or_else(|| {
        let keys: Vec<&str> = object.keys().map(String::as_str).collect();
        ImportError::shape(
            file,
            "(top level)",
            format!("{} (members found: {})", unknown_shape(), keys.join(", ")),
        )
    })
}

fn unknown_shape() -> String {
    "unknown shape: expected the JSON of describe-user-pool ({\"UserPool\": ...}), \
     describe-user-pool-client ({\"UserPoolClient\": ...}), describe-identity-provider \
     ({\"IdentityProvider\": ...}), list-groups ({\"Groups\": [...]}), or a CloudFormation \
     template ({\"Resources\": ...})"
        .to_owned()
}

/// Attach clients, providers and groups to their pools; a piece naming a pool that was not
/// imported is an error naming its file and path.
fn assemble(pieces: Vec<Piece>) -> Result<Vec<PoolConfig>, ImportError> {
    let mut pools: Vec<PoolConfig> = Vec::new();
    let mut rest = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Pool(p) if pools.iter().any(|q| q.id == p.id) => {
                return Err(ImportError::shape(
                    "(inputs)",
                    "UserPool.Id",
                    format!("user pool {} is given twice", p.id),
                ));
            }
            Piece::Pool(p) => pools.push(*p),
            other => rest.push(other),
        }
    }
    for piece in rest {
        let (pool_id, file, path) = match &piece {
            Piece::Pool(_) => continue,
            Piece::Client(o) => (&o.pool_id, &o.file, &o.path),
            Piece::Provider(o) => (&o.pool_id, &o.file, &o.path),
            Piece::Group(o) => (&o.pool_id, &o.file, &o.path),
            Piece::Domain(o) => (&o.pool_id, &o.file, &o.path),
        };
        let Some(pool) = pools.iter_mut().find(|p| &p.id == pool_id) else {
            return Err(ImportError::shape(
                file,
                path,
                format!(
                    "user pool {pool_id} is not among the inputs: give its describe-user-pool \
                     output too"
                ),
            ));
        };
        match piece {
            Piece::Pool(_) => {}
            Piece::Client(o) => pool.clients.push(o.item),
            Piece::Provider(o) => pool.identity_providers.push(o.item),
            Piece::Group(o) => pool.groups.push(o.item),
            Piece::Domain(o) => pool.domain = Some(o.item),
        }
    }
    Ok(pools)
}
