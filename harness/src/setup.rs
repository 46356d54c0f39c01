//! The config a scenario's emulator starts with: a TOML document (the embedded default, or
//! `harness run --config`'s file), then the scenario's `config_edits`, then its PreSignUp
//! Lambda and that Lambda's role. Edits work on the document, in the terms of the file a
//! user writes, before it is read as a [`emulator::Config`].

use std::path::Path;

use anyhow::{Context as _, bail};
use toml::Value;

use crate::scenario::{ConfigEdit, Scenario};

/// The Lambda ARN a scenario's `pre_sign_up_lambda` is configured under.
pub const LAMBDA_ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:scenario-pre-sign-up";

/// The embedded default config as a document.
pub fn default_document() -> Value {
    // The embedded file is valid TOML (a unit test of the emulator parses it).
    toml::from_str(emulator::config::DEFAULT_TOML).unwrap_or(Value::Table(Default::default()))
}

/// A config file as a document, checked to be a valid config.
pub fn load_document(path: &Path) -> anyhow::Result<Value> {
    // Read as a config first: an invalid file is refused here, by name.
    emulator::Config::load(path)?;
    let text = std::fs::read_to_string(path)?;
    Ok(toml::from_str(&text)?)
}

/// The config `scenario` runs with, from `document`.
pub fn config_for(scenario: &Scenario, document: &Value) -> anyhow::Result<emulator::Config> {
    let mut doc = document.clone();
    for (i, edit) in scenario.preconditions.config_edits.iter().enumerate() {
        apply(&mut doc, edit).with_context(|| format!("config edit {} ({})", i + 1, edit.at))?;
    }
    let mut config: emulator::Config = doc
        .try_into()
        .context("the config after the scenario's config_edits")?;
    if let Some(path) = scenario.lambda_path() {
        anyhow::ensure!(path.is_file(), "no Lambda handler at {}", path.display());
        let pool = config
            .cognito
            .pools
            .first_mut()
            .context("the config has no pool")?;
        pool.lambda.insert("PreSignUp".into(), LAMBDA_ARN.into());
        config
            .lambda_functions
            .insert(LAMBDA_ARN.into(), lambda_target(&path));
        if let Some(allow) = &scenario.preconditions.lambda_permissions {
            config
                .lambda_permissions
                .insert(LAMBDA_ARN.into(), allow.clone());
        }
    }
    Ok(config)
}

/// The trigger target running a scenario's handler file: Python for a `.py` file, Node.js
/// otherwise.
fn lambda_target(path: &Path) -> String {
    let runtime = match path.extension().and_then(|x| x.to_str()) {
        Some("py") => "python",
        _ => "node",
    };
    format!("{runtime}:{}", path.display())
}

/// Sets or removes the value at the edit's JSON Pointer. Setting creates missing tables on
/// the way; an array index may be one past the end (or `-`) to append.
pub fn apply(doc: &mut Value, edit: &ConfigEdit) -> anyhow::Result<()> {
    let tokens: Vec<String> = edit
        .at
        .strip_prefix('/')
        .context("a JSON Pointer starts with /")?
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((last, parents)) = tokens.split_last() else {
        bail!("empty pointer");
    };
    let mut here = doc;
    for (i, token) in parents.iter().enumerate() {
        here = child(here, token, edit.set.is_some())
            .with_context(|| format!("nothing at /{}", parents[..=i].join("/")))?;
    }
    match (&edit.set, here) {
        (Some(v), Value::Table(t)) => {
            t.insert(last.clone(), v.clone());
        }
        (Some(v), Value::Array(a)) => match index(last, a.len())? {
            i if i == a.len() => a.push(v.clone()),
            i => a[i] = v.clone(),
        },
        (None, Value::Table(t)) => {
            t.remove(last).context("nothing to remove")?;
        }
        (None, Value::Array(a)) => match index(last, a.len())? {
            i if i < a.len() => drop(a.remove(i)),
            _ => bail!("nothing to remove"),
        },
        (_, other) => bail!("the parent is a {}, not a table or array", other.type_str()),
    }
    Ok(())
}

fn child<'a>(v: &'a mut Value, token: &str, create: bool) -> Option<&'a mut Value> {
    match v {
        Value::Table(t) => {
            if create && !t.contains_key(token) {
                t.insert(token.to_owned(), Value::Table(Default::default()));
            }
            t.get_mut(token)
        }
        Value::Array(a) => a.get_mut(token.parse::<usize>().ok()?),
        _ => None,
    }
}

/// An array index token: a number up to `len` (`len` appends), or `-` (appends).
fn index(token: &str, len: usize) -> anyhow::Result<usize> {
    let i = match token {
        "-" => len,
        t => t
            .parse::<usize>()
            .with_context(|| format!("{t:?} is not an index"))?,
    };
    anyhow::ensure!(i <= len, "index {i} is past the end ({len} items)");
    Ok(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(at: &str, set: Option<&str>) -> ConfigEdit {
        ConfigEdit {
            at: at.into(),
            set: set.map(|s| Value::String(s.into())),
            remove: set.is_none(),
        }
    }

    #[test]
    fn edits_set_and_remove_in_tables_and_arrays() {
        let mut doc = default_document();
        let issuer = "/cognito/pools/0/identity_providers/0/oidc_issuer";
        apply(&mut doc, &edit(issuer, Some("https://x"))).unwrap();
        let mapping_email = "/cognito/pools/0/identity_providers/0/attribute_mapping/email";
        apply(&mut doc, &edit(mapping_email, None)).unwrap();
        let callbacks = "/cognito/pools/0/clients/0/callback_urls";
        apply(&mut doc, &edit(&format!("{callbacks}/-"), Some("http://b"))).unwrap();
        apply(&mut doc, &edit(&format!("{callbacks}/0"), None)).unwrap();
        let arn = "/lambda_permissions/arn:aws:lambda:r:1:function:f~1x";
        apply(&mut doc, &edit(arn, Some("y"))).unwrap();
        let idp = &doc["cognito"]["pools"][0]["identity_providers"][0];
        assert_eq!(idp["oidc_issuer"].as_str(), Some("https://x"));
        assert!(idp["attribute_mapping"].get("email").is_none());
        let cb = &doc["cognito"]["pools"][0]["clients"][0]["callback_urls"];
        assert_eq!(cb.as_array().unwrap(), &[Value::String("http://b".into())]);
        assert!(
            doc["lambda_permissions"]
                .get("arn:aws:lambda:r:1:function:f/x")
                .is_some()
        );
    }

    #[test]
    fn bad_pointers_are_named() {
        let mut doc = default_document();
        let before = doc.clone();
        for (at, set, why) in [
            (
                "/cognito/pools/7/id",
                Some("x"),
                "nothing at /cognito/pools/7",
            ),
            ("/cognito/pools/0/clients/5", Some("x"), "past the end"),
            ("/cognito/nope", None, "nothing to remove"),
            ("/region/x", Some("x"), "a string, not a table"),
            ("/cognito/pools/x", None, "not an index"),
        ] {
            let e = apply(&mut doc, &edit(at, set)).unwrap_err();
            assert!(format!("{e:#}").contains(why), "{at}: {e:#}");
        }
        assert_eq!(doc, before);
    }
}
