//! Architecture invariants (ARCHITECTURE.md), as tests: they fail when the shape of the code
//! drifts from what the document promises.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every `.rs` file under `rel` (a directory of the workspace), as (path from the workspace
/// root, text).
fn sources(rel: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root().join(rel)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{rel}: {e}")) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let shown = path.strip_prefix(root()).unwrap().display().to_string();
                out.push((shown, text));
            }
        }
    }
    assert!(!out.is_empty(), "no sources under {rel}");
    out
}

/// `text` without its `//` comments (doc comments included), so prose may name anything.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split_once("//").map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The identifiers of `text`'s code (string literals included, comments not).
fn identifiers(text: &str) -> Vec<String> {
    code(text)
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `text` without the function `name` (from `fn name` to its closing brace).
fn without_fn(text: &str, name: &str) -> String {
    let start = text
        .find(&format!("fn {name}("))
        .unwrap_or_else(|| panic!("fn {name} not found"));
    let open = start + text[start..].find('{').unwrap();
    let mut depth = 0;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 1 => return format!("{}{}", &text[..start], &text[open + i + 1..]),
            '}' => depth -= 1,
            _ => {}
        }
    }
    panic!("fn {name} is not closed")
}

/// Every dependency table of a manifest: normal, dev, build, and per target.
fn dependency_tables(manifest: &str) -> Vec<toml::Table> {
    let value: toml::Table = toml::from_str(manifest).unwrap();
    let kinds = ["dependencies", "dev-dependencies", "build-dependencies"];
    let mut tables: Vec<&toml::Value> = kinds.iter().filter_map(|k| value.get(*k)).collect();
    if let Some(targets) = value.get("target").and_then(|t| t.as_table()) {
        for target in targets.values() {
            tables.extend(kinds.iter().filter_map(|k| target.get(*k)));
        }
    }
    tables
        .into_iter()
        .filter_map(|t| t.as_table().cloned())
        .collect()
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

/// The manifests: the harness does not depend on the verifier; the verifier depends on no
/// harness and on no local crate at all (its fuzz project only on the verifier itself).
#[test]
fn authenticators_and_verifier_share_no_code_by_manifest() {
    assert!(
        !read("harness/Cargo.toml").contains("emulator-webauthn"),
        "harness must not use the verifier (DESIGN decision 3)"
    );
    for (manifest, allowed_path) in [
        ("emulator/webauthn/Cargo.toml", None),
        ("emulator/webauthn/fuzz/Cargo.toml", Some("..")),
    ] {
        for table in dependency_tables(&read(manifest)) {
            for (name, spec) in &table {
                assert!(!name.contains("harness"), "{manifest} depends on {name}");
                let path = spec.get("path").and_then(|p| p.as_str());
                assert!(
                    path.is_none() || path == allowed_path,
                    "{manifest}: {name} is a path dependency ({path:?})"
                );
            }
        }
    }
}

/// The sources: no verifier file names the harness or pulls a file in by path (`#[path]`,
/// `include!`), tests and examples included; no authenticator file names the emulator crate
/// (which re-exports the verifier as `emulator::webauthn`) or the verifier crate.
#[test]
fn authenticators_and_verifier_share_no_code_by_source() {
    for dir in [
        "emulator/webauthn/src",
        "emulator/webauthn/tests",
        "emulator/webauthn/examples",
        "emulator/webauthn/fuzz/fuzz_targets",
    ] {
        for (path, text) in sources(dir) {
            let hit = identifiers(&text).iter().any(|i| i == "harness");
            assert!(!hit, "{path} names the harness");
            for banned in ["#[path", "include!("] {
                let hit = code(&text).contains(banned);
                assert!(!hit, "{path} uses {banned}");
            }
        }
    }
    for (path, text) in sources("harness/src/authenticator") {
        let ids = identifiers(&text);
        for banned in ["emulator", "emulator_webauthn"] {
            let hit = ids.iter().any(|i| i == banned);
            assert!(!hit, "{path} names {banned}");
        }
    }
}

/// The user pool's logic (the store allowed) does not touch HTTP: handlers call it.
#[test]
fn cognito_logic_does_not_touch_http() {
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

/// Modules that do no I/O at all: no HTTP or async runtime, no database, no service context
/// (which holds the store, journal, outbox and clock), no files, network, processes or
/// environment. Time and randomness come in as arguments (`Entropy` is the injected source).
const PURE: &[&str] = &[
    "emulator/src/cognito/filter.rs",
    "emulator/src/cognito/signin/srp.rs",
    "emulator/src/cognito/signin/totp.rs",
    "emulator/src/cognito/password.rs",
    "emulator/src/cognito/attributes.rs",
    "emulator/src/cognito/model.rs",
    "emulator/src/redact.rs",
    "emulator/src/jws.rs",
    "emulator/src/console/diagram.rs",
];

#[test]
fn pure_modules_do_no_io() {
    let banned_ids = [
        "axum",
        "reqwest",
        "hyper",
        "tokio",
        "tower",
        "rusqlite",
        "async",
        "await",
        "Store",
        "Tx",
        "Journal",
        "Outbox",
        "Cognito",
        "Idp",
        "Clock",
        "SystemTime",
        "Instant",
    ];
    let banned_paths = ["std::fs", "std::net", "std::process", "std::env", "std::io"];
    for file in PURE {
        let text = read(file);
        let ids = identifiers(&text);
        for banned in banned_ids {
            assert!(!ids.iter().any(|i| i == banned), "{file} uses {banned}");
        }
        for banned in banned_paths {
            assert!(!code(&text).contains(banned), "{file} uses {banned}");
        }
    }
}

/// What draws from the OS's randomness, or makes a key or id from it.
const OS_RANDOMNESS: &[&str] = &[
    "OsRng",
    "thread_rng",
    "rand::rng()",
    "rand::random",
    "getrandom",
    "rand::fill",
    "SystemRandom",
    "KeyPair::generate",
    "generate_pkcs8",
    "from_entropy",
    "from_os_rng",
    "new_v4",
    "new_v7",
    "now_v7",
];

/// The one module allowed OS randomness besides `Entropy::from_os`, and what for: HTTPS mode's
/// CA and leaf keys. A CA a user trusts must never be derivable from a seed (seeds are in
/// every test file), so it does not come from the injected, possibly seeded, `Entropy`.
const TLS_KEYS: (&str, &str) = ("emulator/src/tls/authority.rs", "KeyPair::generate");

/// Randomness: one place, `Entropy::from_os` in clock.rs, seeds the injected source from the
/// OS when no seed is given; server.rs is its one caller. Nothing else in the emulator reads
/// OS randomness (except [`TLS_KEYS`]); ids, codes and signing keys are drawn from the
/// injected `Entropy`.
#[test]
fn only_the_unseeded_entropy_reads_os_randomness() {
    for (path, text) in sources("emulator/src") {
        let checked = if path == "emulator/src/clock.rs" {
            without_fn(&text, "from_os")
        } else if path == TLS_KEYS.0 {
            text.replace(TLS_KEYS.1, "")
        } else {
            text.clone()
        };
        for banned in OS_RANDOMNESS {
            assert!(
                !checked.contains(banned),
                "{path} uses {banned}: draw from the injected Entropy"
            );
        }
        let seeds_from_os = code(&text).contains("from_os(");
        let allowed = ["emulator/src/clock.rs", "emulator/src/server.rs"].contains(&path.as_str());
        assert!(
            !seeds_from_os || allowed,
            "{path} calls Entropy::from_os: use the server's injected Entropy"
        );
    }
}

/// The date: only the clock module reads it (durations may use `Instant`, e.g. a trigger's
/// time limit), so transcripts are deterministic under a `ManualClock`.
#[test]
fn only_the_clock_module_reads_the_date() {
    for (path, text) in sources("emulator/src") {
        if path == "emulator/src/clock.rs" {
            continue;
        }
        for banned in [
            "SystemTime::now",
            "Utc::now",
            "Local::now",
            "OffsetDateTime::now",
        ] {
            assert!(
                !text.contains(banned),
                "{path} calls {banned}: use the injected Clock"
            );
        }
    }
}
