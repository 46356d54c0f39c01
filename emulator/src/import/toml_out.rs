//! Writing an import as the emulator's TOML config: the pools (empty lists and tables left
//! out), preceded by comments listing every setting not imported and the Lambda ARNs to map.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{ImportError, Imported};
use crate::config::PoolConfig;

#[derive(Serialize)]
struct Out<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    cognito: Cognito<'a>,
}

#[derive(Serialize)]
struct Cognito<'a> {
    pools: &'a [PoolConfig],
}

/// The config file: comments (what was not imported, the Lambda ARNs to map), then the TOML.
pub fn render(imported: &Imported, sources: &[String]) -> Result<String, ImportError> {
    let mut out = format!(
        "# Imported by `emulator import` from {}.\n",
        sources.join(", ")
    );
    if imported.notes.is_empty() {
        out.push_str("# Every setting found was imported.\n");
    } else {
        out.push_str("# Settings not imported as they were:\n");
        for n in &imported.notes {
            out.push_str(&format!("#   {}\n", one_line(&n.to_string())));
        }
    }
    out.push_str(&lambda_comment(&imported.pools));
    out.push('\n');
    out.push_str(&pools_toml(&imported.pools)?);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// The pools as TOML, without empty lists or tables: the normal form tests compare.
pub fn pools_toml(pools: &[PoolConfig]) -> Result<String, ImportError> {
    let region = region(pools);
    let out = Out {
        region: region.as_deref(),
        cognito: Cognito { pools },
    };
    let mut table = toml::Table::try_from(&out).map_err(|e| ImportError::Render(e.to_string()))?;
    for (key, value) in table.iter_mut() {
        if key != "cognito" {
            prune(value);
        }
    }
    if let Some(cognito) = table.get_mut("cognito") {
        prune(cognito);
    }
    table
        .entry("cognito")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    toml::to_string(&table).map_err(|e| ImportError::Render(e.to_string()))
}

/// The region the pool ids name, when they all name one.
fn region(pools: &[PoolConfig]) -> Option<String> {
    let regions: BTreeSet<&str> = pools
        .iter()
        .filter_map(|p| p.id.split_once('_').map(|(r, _)| r))
        .collect();
    match regions.into_iter().collect::<Vec<_>>()[..] {
        [one] => Some(one.to_owned()),
        _ => None,
    }
}

/// Remove empty arrays and tables below `value` (not `value` itself).
fn prune(value: &mut toml::Value) {
    match value {
        toml::Value::Table(t) => {
            for (_, v) in t.iter_mut() {
                prune(v);
            }
            t.retain(|_, v| !is_empty(v));
        }
        toml::Value::Array(a) => a.iter_mut().for_each(prune),
        _ => {}
    }
}

fn is_empty(v: &toml::Value) -> bool {
    match v {
        toml::Value::Table(t) => t.is_empty(),
        toml::Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The Lambda ARNs the pools name, as a commented `[lambda_functions]` table to fill in.
fn lambda_comment(pools: &[PoolConfig]) -> String {
    let arns: BTreeSet<&String> = pools
        .iter()
        .flat_map(|p| p.lambda.values())
        .filter(|v| v.starts_with("arn:"))
        .collect();
    if arns.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "# Lambda triggers: map each ARN to what runs it (node:<handler.js>, http://<RIE URL>\n\
         # or builtin:link_by_email) in [lambda_functions] before starting the emulator:\n\
         # [lambda_functions]\n",
    );
    for arn in arns {
        out.push_str(&format!("# \"{arn}\" = \"node:path/to/handler.js\"\n"));
    }
    out
}

/// A note on one comment line, whatever its value holds.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}
