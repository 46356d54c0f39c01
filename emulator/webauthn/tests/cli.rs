//! The CLI as a user runs it on captured responses: parse arguments with clap, run, read the
//! report and the exit verdict.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

mod common;

use clap::Parser;
use emulator_webauthn::cli::{WebauthnArgs, WebauthnCommand, run};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: WebauthnCommand,
}

/// Runs `emulator webauthn <args>`; returns (accepted, output).
fn webauthn(args: &[&str]) -> (bool, String) {
    let cli = Cli::try_parse_from(std::iter::once("webauthn").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    let accepted = run(
        &WebauthnArgs {
            command: cli.command,
        },
        &mut out,
    )
    .expect("inputs readable");
    (accepted, String::from_utf8(out).expect("utf-8"))
}

fn fixture(path: &str) -> String {
    common::fixtures().join(path).display().to_string()
}

struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temp(name: &str) -> TempFile {
    TempFile(std::env::temp_dir().join(format!(
        "emulator-webauthn-cli-{}-{name}",
        std::process::id()
    )))
}

const ORIGIN: &str = "http://localhost:47321";

#[test]
fn registration_then_authentication_of_a_chromium_capture() {
    let record = temp("direct-credential.json");
    let record_path = record.0.display().to_string();
    let (ok, out) = webauthn(&[
        "verify",
        "registration",
        "--options",
        &fixture("chromium/direct/registration-options.json"),
        "--response",
        &fixture("chromium/direct/registration-response.json"),
        "--origin",
        ORIGIN,
        "--credential-out",
        &record_path,
    ]);
    assert!(ok, "{out}");
    for line in [
        "pass  challenge",
        "pass  origin",
        "pass  rpIdHash",
        "pass  attestation statement",
        "verdict: ACCEPTED",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
    let (ok, out) = webauthn(&[
        "verify",
        "authentication",
        "--options",
        &fixture("chromium/direct/authentication-options.json"),
        "--response",
        &fixture("chromium/direct/authentication-response.json"),
        "--credential",
        &record_path,
        "--origin",
        ORIGIN,
        "--json",
    ]);
    assert!(ok, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(doc["verdict"], "accepted");
    assert_eq!(doc["outcome"]["userVerified"], true);
    let checks: Vec<&str> = doc["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["check"].as_str())
        .collect();
    assert!(
        checks.contains(&"signature") && checks.contains(&"signCount"),
        "{checks:?}"
    );
}

#[test]
fn rejection_names_the_check_and_exits_false() {
    let (ok, out) = webauthn(&[
        "verify",
        "registration",
        "--options",
        &fixture("chromium/none/registration-options.json"),
        "--response",
        &fixture("chromium/none/registration-response.json"),
    ]);
    assert!(!ok);
    assert!(out.contains("pass  challenge"), "{out}");
    assert!(out.contains("FAIL  OriginMismatch"), "{out}");
    assert!(
        out.contains("https://localhost"),
        "expected origin named: {out}"
    );
    assert!(out.contains("verdict: REJECTED (OriginMismatch)"), "{out}");
    // Chromium's batch certificate does not chain to the W3C vectors' root (given as DER).
    let root = temp("w3c-root.der");
    std::fs::write(&root.0, common::w3c_root()).expect("write root");
    let (ok, out) = webauthn(&[
        "verify",
        "registration",
        "--options",
        &fixture("chromium/direct/registration-options.json"),
        "--response",
        &fixture("chromium/direct/registration-response.json"),
        "--origin",
        ORIGIN,
        "--attestation",
        "require-trusted-root",
        "--trust-root",
        &root.0.display().to_string(),
        "--json",
    ]);
    assert!(!ok);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(doc["verdict"], "rejected");
    assert_eq!(doc["error"]["check"], "AttestationUntrusted", "{out}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Batch Certificate")),
        "{out}"
    );
}

#[test]
fn unreadable_inputs_are_errors_not_verdicts() {
    let cli = Cli::try_parse_from([
        "webauthn",
        "verify",
        "registration",
        "--options",
        "/nonexistent/options.json",
        "--response",
        "x",
    ])
    .expect("args parse");
    let mut out = Vec::new();
    let e = run(
        &WebauthnArgs {
            command: cli.command,
        },
        &mut out,
    )
    .expect_err("missing file");
    assert!(format!("{e:#}").contains("/nonexistent/options.json"));
    assert!(
        Cli::try_parse_from(["webauthn", "verify", "registration"]).is_err(),
        "--options required"
    );
}
