//! The guide's Lambda calls, made by the real AWS SDK for JavaScript v2 under Node.
//! Needs `npm ci --prefix fixtures/lambda` (the justfile's `setup`, run by `.ci/run`).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{POOL, confirmed_user, start};
use serde_json::Value;

fn node_check(url: &str, email: &str, provider: &str, sub: &str) -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/lambda");
    assert!(
        dir.join("node_modules/aws-sdk").is_dir(),
        "aws-sdk v2 is not installed: run `npm ci --prefix fixtures/lambda` (or `just setup`)"
    );
    let out = Command::new("node")
        .arg(dir.join("sdk-v2-check.js"))
        .args([url, POOL, email, provider, sub])
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

#[tokio::test]
async fn aws_sdk_v2_lists_by_email_and_links() {
    let emu = start().await;
    let username = confirmed_user(&emu.sdk, "v2@example.com", "Passw0rd!").await;
    let url = emu.url().to_owned();
    let lines =
        tokio::task::spawn_blocking(move || node_check(&url, "v2@example.com", "Mosaic", "sub-v2"))
            .await
            .unwrap();
    assert_eq!(lines[0]["call"], "listUsers");
    assert_eq!(lines[0]["data"]["Users"][0]["Username"], username.as_str());
    let attrs = lines[0]["data"]["Users"][0]["Attributes"]
        .as_array()
        .unwrap();
    assert_eq!(attrs.len(), 2, "AttributesToGet sub and email: {attrs:?}");
    assert_eq!(
        lines[1],
        serde_json::json!({"call": "adminLinkProviderForUser", "data": {}})
    );

    // The guide's literal 'providerName' mistake, as the SDK reports it to the Lambda.
    let url = emu.url().to_owned();
    let lines = tokio::task::spawn_blocking(move || {
        node_check(&url, "v2@example.com", "providerName", "sub-v2b")
    })
    .await
    .unwrap();
    assert_eq!(lines[1]["error"], "InvalidParameterException");
    assert!(
        lines[1]["message"]
            .as_str()
            .unwrap()
            .contains("'providerName'")
    );
}
