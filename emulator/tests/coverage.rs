//! Coverage of the cognito-idp API: botocore's service model against `Operation::ALL`, the
//! operations the real client libraries call (`fixtures/coverage/required_ops.py`), and the
//! answer the emulator gives to the operations it does not implement.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use emulator::cognito::api::{Operation, TARGET_PREFIX};
use emulator::{Config, Options};

/// Prints the operation names of botocore's newest cognito-idp model, plain or gzip-compressed.
const MODEL_OPS: &str = r#"
import gzip, json, os, sys
try:
    import botocore
except ImportError:
    sys.exit("botocore is not installed: pip install botocore")
base = os.path.join(os.path.dirname(botocore.__file__), "data", "cognito-idp")
latest = sorted(d for d in os.listdir(base) if os.path.isdir(os.path.join(base, d)))[-1]
path, opener = os.path.join(base, latest, "service-2.json"), open
if not os.path.exists(path):
    path, opener = path + ".gz", gzip.open
with opener(path, "rt", encoding="utf-8") as f:
    print("\n".join(sorted(json.load(f)["operations"])))
"#;

/// Operations the clients call that are knowingly not implemented yet (none today): an
/// operation listed here must leave the list once it is implemented.
const PENDING: &[&str] = &[];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Run python3 and return its stdout; fail with its stderr and `hint`.
fn python(args: &[&str], hint: &str) -> String {
    let out = Command::new("python3")
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}); {hint}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python3 failed: {stderr}\n{hint}");
    String::from_utf8(out.stdout).unwrap()
}

fn model_ops() -> BTreeSet<String> {
    let hint = "the coverage test reads botocore's cognito-idp model: pip install botocore";
    let ops: BTreeSet<String> = python(&["-c", MODEL_OPS], hint)
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(ops.len() > 50, "too few operations in the model: {ops:?}");
    ops
}

/// Operation -> the libraries that call it (`COVERAGE_NODE_MODULES` overrides the directory).
fn required_ops() -> BTreeMap<String, String> {
    let node_modules = std::env::var("COVERAGE_NODE_MODULES")
        .unwrap_or_else(|_| "fixtures/clients/node_modules".to_owned());
    let hint = "install the client libraries: npm ci --prefix fixtures/clients";
    let out = python(&["fixtures/coverage/required_ops.py", &node_modules], hint);
    out.lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(op, by)| {
            (
                op.to_owned(),
                by.replace("amazon-cognito-", "")
                    .replace("@aws-amplify/auth", "amplify"),
            )
        })
        .collect()
}

fn implemented() -> BTreeSet<&'static str> {
    Operation::ALL.iter().map(|op| op.name()).collect()
}

#[test]
fn every_implemented_operation_is_in_the_model() {
    let model = model_ops();
    let unknown: Vec<_> = implemented()
        .into_iter()
        .filter(|op| !model.contains(*op))
        .collect();
    assert!(
        unknown.is_empty(),
        "in Operation::ALL but not in botocore's cognito-idp model (typo?): {unknown:?}"
    );
}

#[test]
fn operations_the_clients_call_are_implemented() {
    let (model, required, done) = (model_ops(), required_ops(), implemented());
    let count = model.iter().filter(|op| done.contains(op.as_str())).count();
    let called = required
        .keys()
        .filter(|op| done.contains(op.as_str()))
        .count();
    let mut table = format!(
        "# cognito-idp coverage\n\nImplemented: {count}/{} operations of botocore's model; \
         {called}/{} of those the client libraries call.\n\n\
         | Operation | Implemented | Called by |\n|---|---|---|\n",
        model.len(),
        required.len(),
    );
    for op in model
        .iter()
        .chain(required.keys().filter(|op| !model.contains(*op)))
    {
        let yes = if done.contains(op.as_str()) {
            "yes"
        } else {
            "no"
        };
        let by = required.get(op).map_or("", String::as_str);
        table.push_str(&format!("| {op} | {yes} | {by} |\n"));
    }
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("coverage.md");
    std::fs::write(&path, &table).unwrap();
    println!("{table}\nwritten to {}", path.display());

    let missing: Vec<_> = required
        .iter()
        .filter(|(op, _)| !done.contains(op.as_str()) && !PENDING.contains(&op.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} operation(s) the client libraries call are not implemented (operation, called by): {missing:?}",
        missing.len()
    );
    let landed: Vec<_> = PENDING.iter().filter(|op| done.contains(*op)).collect();
    assert!(
        landed.is_empty(),
        "implemented now, take them off PENDING: {landed:?}"
    );
}

#[tokio::test]
async fn unimplemented_operations_answer_400_naming_the_operation() {
    let done = implemented();
    let todo: Vec<String> = model_ops()
        .into_iter()
        .filter(|op| !done.contains(op.as_str()))
        .collect();
    let running = emulator::start_with(
        Config::default_config().with_ephemeral_ports(),
        Options::default(),
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let mut wrong = Vec::new();
    for op in &todo {
        let resp = http
            .post(format!("{}/", running.cognito_url))
            .header("X-Amz-Target", format!("{TARGET_PREFIX}{op}"))
            .header("Content-Type", "application/x-amz-json-1.1")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        let kind = body["__type"].as_str().unwrap_or("");
        let message = body["message"]
            .as_str()
            .or(body["Message"].as_str())
            .unwrap_or("");
        if status != 400 || kind.is_empty() || !message.contains(op.as_str()) {
            wrong.push(format!("{op}: HTTP {status} {body}"));
        }
    }
    running.stop().await;
    assert!(
        wrong.is_empty(),
        "unimplemented operations must answer 400 with __type and a message naming them:\n{}",
        wrong.join("\n")
    );
}
