//! The `emulator` binary's tool subcommands, run as a user runs them.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::process::Command;

fn emulator(args: &[&str]) -> (i32, String) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new(env!("CARGO_BIN_EXE_emulator"))
        .current_dir(root)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn webauthn_verify_accepts_a_chromium_registration_and_names_a_failed_check() {
    let d = "fixtures/webauthn/chromium/direct";
    let (code, out) = emulator(&[
        "webauthn",
        "verify",
        "registration",
        "--options",
        &format!("{d}/registration-options.json"),
        "--response",
        &format!("{d}/registration-response.json"),
        "--origin",
        "http://localhost:47321",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ACCEPTED"), "{out}");
    let (code, out) = emulator(&[
        "webauthn",
        "verify",
        "registration",
        "--options",
        &format!("{d}/registration-options.json"),
        "--response",
        &format!("{d}/registration-response.json"),
        "--origin",
        "http://localhost:1",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("OriginMismatch"), "{out}");
}

#[test]
fn check_config_names_the_bad_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[cognito]\nbind = \"127.0.0.1:0\"\npoools = []\n").unwrap();
    let (code, out) = emulator(&["check-config", "--config", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("unknown field `poools`"), "{out}");
    let (code, out) = emulator(&["check-config"]);
    assert_eq!((code, out.trim()), (0, "config ok"));
}
