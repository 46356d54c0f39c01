//! `emulator doctor` end to end: the CLI on the default config and on the guide's Lambda, the
//! control plane's `/_emulator/doctor`, and the journal of a real federated sign-in through the
//! guide's Lambda (the harness's http driver) yielding the expected findings.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use emulator::{Config, Options, Storage};
use harness::driver::DriverKind;
use harness::runner::{self, Emulator, Verdict};
use harness::scenario::Scenario;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn doctor(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_emulator"))
        .current_dir(ROOT)
        .arg("doctor")
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success(), text)
}

#[test]
fn the_default_config_has_no_findings() {
    let (ok, out) = doctor(&[]);
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "no findings in the embedded default config");
}

#[test]
fn the_guides_lambda_is_diagnosed_from_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let config = emulator::config::DEFAULT_TOML.replace(
        "groups = []",
        "groups = []\nlambda = { PreSignUp = \"arn:aws:lambda:us-east-1:000000000000:function:link\" }",
    );
    let config = format!(
        "[lambda_functions]\n\"arn:aws:lambda:us-east-1:000000000000:function:link\" = \"node:fixtures/lambda/link-guide.js\"\n\n{config}"
    )
    .replace("attribute_mapping = { email = \"email\", username = \"sub\" }", "attribute_mapping = { email = \"email\", email_verified = \"email_verified\", username = \"sub\" }");
    let path = dir.path().join("guide.toml");
    std::fs::write(&path, &config).unwrap();
    let (ok, out) = doctor(&["--config", path.to_str().unwrap()]);
    assert!(!ok, "{out}");
    assert!(out.contains("[provider-name-placeholder]"), "{out}");
    assert!(
        out.contains("where: fixtures/lambda/link-guide.js:33"),
        "{out}"
    );
    assert!(out.contains("[link-error-swallowed]"), "{out}");
    assert!(
        out.ends_with(&format!("2 findings in {}\n", path.display())),
        "{out}"
    );
    let fixed = config.replace("link-guide.js", "link-corrected.js");
    std::fs::write(&path, fixed).unwrap();
    let (ok, out) = doctor(&["--config", path.to_str().unwrap()]);
    assert!(ok, "{out}");
}

#[test]
fn the_control_plane_serves_the_findings() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let options = Options {
            storage: Storage::Ephemeral,
            ..Options::default()
        };
        let running = emulator::start_with(Config::default_config().with_ephemeral_ports(), options)
            .await
            .unwrap();
        let url = format!("{}/_emulator/doctor", running.cognito_url);
        let body: serde_json::Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
        assert_eq!(body, serde_json::json!({"findings": []}));
        // A redirect URI the client does not register, then the doctor names it.
        let authorize = format!(
            "{}/oauth2/authorize?client_id=1example23456789abcdefghij&response_type=code&redirect_uri=http://localhost:3001/cb",
            running.cognito_url
        );
        let _ = reqwest::get(&authorize).await.unwrap();
        let body: serde_json::Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
        let findings = body["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 1, "{body}");
        assert_eq!(findings[0]["id"], "callback-url-not-registered");
        assert!(findings[0]["explanation"].as_str().unwrap().contains("http://localhost:3001/cb"), "{body}");
        running.stop().await;
    });
}

#[test]
fn a_run_of_the_guides_lambda_reports_the_journal_findings() {
    let path = Path::new(ROOT).join("scenarios/link-guide-documents-failure.toml");
    let mut scenario = Scenario::load(&path).unwrap();
    // Without its documented failure the scenario fails, and its report carries the doctor's.
    scenario.expected_failure = None;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let outcome = rt
        .block_on(runner::run(&scenario, &Emulator::Spawn, DriverKind::Http))
        .unwrap();
    let Verdict::Failed(reason) = &outcome.verdict else {
        panic!("{:?}\n{}", outcome.verdict, outcome.transcript);
    };
    // The set-up's findings (the handler's lines, the config) and the journal's, by priority.
    let doctor: Vec<&str> = reason.lines().filter(|l| l.contains("doctor: [")).collect();
    let ids: Vec<&str> = doctor
        .iter()
        .filter_map(|l| l.split('[').nth(1)?.split(']').next())
        .collect();
    assert_eq!(
        ids,
        [
            "provider-name-placeholder",
            "provider-name-placeholder",
            "email-verified-not-mapped",
            "link-error-swallowed",
            "link-error-swallowed"
        ],
        "{reason}"
    );
    assert!(doctor[0].contains("link-guide.js:33"), "{reason}");
    assert!(doctor[1].contains("(journal "), "{reason}");
    assert!(doctor[4].contains("PreSignUp_ExternalProvider"), "{reason}");
}
