//! Architecture invariants (ARCHITECTURE.md), as tests: they fail when the shape of the code
//! drifts from what the document promises.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::Path;

fn read(rel: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The `[dependencies]` table of a manifest (dev-dependencies may use anything).
fn normal_dependencies(manifest: &str) -> Vec<String> {
    let value: toml::Value = toml::from_str(manifest).unwrap();
    value
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn the_verifier_crate_has_no_http_or_async() {
    let deps = normal_dependencies(&read("emulator/webauthn/Cargo.toml"));
    for banned in ["axum", "tokio", "hyper", "reqwest", "tower", "emulator"] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "emulator-webauthn depends on {banned}"
        );
    }
}

#[test]
fn authenticators_and_verifier_share_no_code() {
    let manifest = read("harness/Cargo.toml");
    assert!(
        !manifest.contains("emulator-webauthn"),
        "harness must not use the verifier (DESIGN decision 3)"
    );
    assert!(
        !read("emulator/webauthn/Cargo.toml").contains("harness"),
        "the verifier must not use the harness"
    );
}

#[test]
fn pure_cognito_modules_do_not_touch_http() {
    for file in [
        "filter.rs",
        "password.rs",
        "attributes.rs",
        "model.rs",
        "user.rs",
        "tokens.rs",
        "keys.rs",
        "signin/srp.rs",
        "signin/totp.rs",
        "signin/session.rs",
        "signin/mfa.rs",
    ] {
        let text = read(&format!("emulator/src/cognito/{file}"));
        for banned in ["axum", "reqwest", "hyper", "tokio"] {
            assert!(
                !text.contains(&format!("{banned}::")),
                "cognito/{file} uses {banned}"
            );
        }
    }
}

#[test]
fn only_the_clock_module_reads_the_date_or_os_randomness() {
    // Instant (durations, e.g. a trigger's 5 s timeout) is fine; the date and random bytes
    // must come from the injected Clock and Entropy so transcripts are deterministic.
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("clock.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for banned in [
                "SystemTime::now",
                "thread_rng",
                "OsRng",
                "rand::fill",
                "getrandom",
            ] {
                assert!(
                    !text.contains(banned),
                    "{} calls {banned}: use the injected Clock/Entropy",
                    path.display()
                );
            }
        }
    }
}
