//! The `harness authenticator` command line as a developer uses it: create and get against
//! option files, a device file that keeps state between runs, exporting a credential to a
//! second device, and browser errors on stderr with a failing exit status.

// Integration tests: helpers outside #[test] fns may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(args)
        .output()
        .unwrap()
}

fn ok_json(args: &[&str]) -> Value {
    let out = harness(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn write(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).unwrap();
    path.to_str().unwrap().to_owned()
}

fn creation() -> Value {
    json!({"publicKey": {
        "rp": {"id": "idp.localhost", "name": "IdP"},
        "user": {"id": "dXNlci0x", "name": "ann@example.com", "displayName": "Ann"},
        "challenge": "Y2hhbGxlbmdlLTE",
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        "authenticatorSelection": {"residentKey": "required", "userVerification": "required"},
        "attestation": "none",
    }})
}

const ORIGIN: &str = "http://idp.localhost:9230";

#[test]
fn create_get_export_import() {
    let dir = tempfile::tempdir().unwrap();
    let options = write(dir.path(), "create.json", &creation());
    let phone = dir.path().join("phone.json");
    let phone = phone.to_str().unwrap();
    let created = ok_json(&[
        "authenticator",
        "create",
        "--options",
        &options,
        "--origin",
        ORIGIN,
        "--device",
        phone,
        "--seed",
        "42",
    ]);
    assert_eq!(created["type"], "public-key");
    assert_eq!(created["authenticatorAttachment"], "platform");
    let id = created["id"].as_str().unwrap().to_owned();

    let request = json!({"challenge": "Y2hhbGxlbmdlLTI", "rpId": "idp.localhost", "userVerification": "required"});
    let request = write(dir.path(), "get.json", &request);
    let got = ok_json(&[
        "authenticator",
        "get",
        "--options",
        &request,
        "--origin",
        ORIGIN,
        "--device",
        phone,
    ]);
    assert_eq!(
        got["id"],
        id.as_str(),
        "the device file kept the credential"
    );
    assert_eq!(got["response"]["userHandle"], "dXNlci0x");

    // Copy the passkey to a second device, as a sync would.
    let exported = ok_json(&[
        "authenticator",
        "export",
        "--device",
        phone,
        "--credential",
        &id,
    ]);
    let copy = write(dir.path(), "cred.json", &exported);
    let laptop = dir.path().join("laptop.json");
    let laptop = laptop.to_str().unwrap();
    let out = harness(&[
        "authenticator",
        "import",
        "--device",
        laptop,
        "--credential",
        &copy,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_laptop = ok_json(&[
        "authenticator",
        "get",
        "--options",
        &request,
        "--origin",
        ORIGIN,
        "--device",
        laptop,
    ]);
    assert_eq!(from_laptop["id"], id.as_str());
    assert_eq!(
        from_laptop["response"]["signature"], got["response"]["signature"],
        "same key, same message, RFC 6979: same signature"
    );

    let webdriver = ok_json(&[
        "authenticator",
        "export",
        "--device",
        phone,
        "--credential",
        &id,
        "--webdriver",
    ]);
    assert_eq!(webdriver["rpId"], "idp.localhost");
    assert_eq!(webdriver["isResidentCredential"], true);
    let listed = ok_json(&["authenticator", "list", "--device", laptop]);
    assert_eq!(listed[0]["id"], id.as_str());
    assert!(listed[0].get("private_key").is_none());
}

#[test]
fn same_seed_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let options = write(dir.path(), "create.json", &creation());
    let run = |device: &str| {
        let path = dir.path().join(device);
        let args = [
            "authenticator",
            "create",
            "--options",
            &options,
            "--origin",
            ORIGIN,
            "--device",
            path.to_str().unwrap(),
            "--preset",
            "security-key",
            "--seed",
            "7",
        ];
        ok_json(&args)
    };
    assert_eq!(run("a.json"), run("b.json"));
}

#[test]
fn browser_errors_fail_with_the_error_name() {
    let dir = tempfile::tempdir().unwrap();
    let options = write(dir.path(), "create.json", &creation());
    let device = dir.path().join("d.json");
    let out = harness(&[
        "authenticator",
        "create",
        "--options",
        &options,
        "--origin",
        "https://evil.example",
        "--device",
        device.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SecurityError: RP ID \"idp.localhost\""),
        "{stderr}"
    );
    assert!(!device.exists(), "a failed ceremony writes no device file");
    let out = harness(&[
        "authenticator",
        "create",
        "--options",
        &options,
        "--origin",
        ORIGIN,
        "--device",
        device.to_str().unwrap(),
        "--preset",
        "u2f",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("NotAllowedError"), "{stderr}");
}

#[test]
fn knobs_are_turned_by_editing_the_device_file() {
    let dir = tempfile::tempdir().unwrap();
    let options = write(dir.path(), "create.json", &creation());
    let device = dir.path().join("d.json");
    let device = device.to_str().unwrap();
    let args = [
        "authenticator",
        "create",
        "--options",
        &options,
        "--origin",
        ORIGIN,
        "--device",
        device,
    ];
    ok_json(&args);
    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(device).unwrap()).unwrap();
    file["config"]["uv_succeeds"] = json!(false);
    std::fs::write(device, file.to_string()).unwrap();
    let request =
        json!({"challenge": "AAAA", "rpId": "idp.localhost", "userVerification": "required"});
    let request = write(dir.path(), "get.json", &request);
    let out = harness(&[
        "authenticator",
        "get",
        "--options",
        &request,
        "--origin",
        ORIGIN,
        "--device",
        device,
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("NotAllowedError: user verification required but the user failed"),
        "{stderr}"
    );
}

#[test]
fn init_and_root() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.json");
    let key = key.to_str().unwrap();
    let init = [
        "authenticator",
        "init",
        "--device",
        key,
        "--preset",
        "security-key",
        "--seed",
        "3",
    ];
    assert!(harness(&init).status.success());
    assert!(
        !harness(&init).status.success(),
        "init refuses to overwrite"
    );
    let out = harness(&["authenticator", "root", "--device", key]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use base64::Engine as _;
    let text = String::from_utf8(out.stdout).unwrap();
    let der = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .unwrap();
    assert_eq!(der[0], 0x30, "a DER certificate");
    let again = harness(&["authenticator", "root", "--device", key]);
    assert_eq!(
        String::from_utf8(again.stdout).unwrap(),
        text,
        "the root is kept in the device file"
    );
    let phone = dir.path().join("phone.json");
    let out = harness(&["authenticator", "root", "--device", phone.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no certificate chain"));
}
