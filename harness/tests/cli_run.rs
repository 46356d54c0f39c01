//! `harness run` and `harness login` as a user runs them: the summary table, the exit status,
//! the JUnit report, a failing scenario's reason, a running emulator given by URL, and the
//! tokens `login` prints.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

use base64::Engine as _;
use serde_json::Value;

fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .current_dir(workspace())
        .args(args)
        .output()
        .unwrap()
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn run_reports_passes_and_documented_failures() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let out = harness(&[
        "run",
        "scenarios/register.toml",
        "scenarios/link-guide-documents-failure.toml",
        "--driver",
        "http",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // A line per finished scenario (in the order they finish: they run concurrently).
    assert!(stderr.contains("] register: passed"), "{stderr}");
    assert!(
        stderr.contains("] link-guide-documents-failure: expected failure"),
        "{stderr}"
    );
    assert!(stdout.contains("2 scenarios: 2 ok, 0 failed"), "{stdout}");
    assert!(
        stdout.contains("journal: AdminLinkProviderForUser refused: InvalidParameterException"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"2\" failures=\"0\""), "{xml}");
    assert!(xml.contains("<testcase name=\"register\""), "{xml}");
}

#[test]
fn a_failing_scenario_fails_the_run_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wrong.toml");
    let text_of = std::fs::read_to_string(workspace().join("scenarios/register.toml")).unwrap();
    // A team expecting an error where the app gets tokens.
    let wrong = text_of.replace(
        "[[steps]]\ndo = \"expect_tokens\"",
        "[[steps]]\ndo = \"expect_error\"\nerror = \"access_denied\"\ndescription = \"\"",
    );
    assert_ne!(wrong, text_of);
    std::fs::write(&file, wrong).unwrap();
    let junit = dir.path().join("junit.xml");
    let out = harness(&[
        "run",
        file.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("register  FAILED"), "{stdout}");
    assert!(
        stdout.contains("step 6 (the app receives error access_denied): the app received a code"),
        "{stdout}"
    );
    assert!(
        stderr.contains("error: 1 of 1 scenarios failed"),
        "{stderr}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<failure message=\"step 6 (the app receives error access_denied)"),
        "{xml}"
    );
}

#[test]
fn an_unmet_expectation_fails_the_run_and_shows_in_the_transcript() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("two.toml");
    let text_of = std::fs::read_to_string(workspace().join("scenarios/register.toml")).unwrap();
    std::fs::write(&file, text_of.replace("pool_users = 1", "pool_users = 2")).unwrap();
    let out = harness(&["run", file.to_str().unwrap()]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("FAILED            ")
            && stdout.contains("expected 2 users in the pool: 1 users"),
        "{stdout}"
    );
    // The failing run's transcript goes to stderr, with each expectation's result.
    assert!(
        stderr.contains("  FAIL 2 users in the pool: got 1 users"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  ok   ID token email = \"alice@example.com\""),
        "{stderr}"
    );
}

/// An emulator with the default config on ephemeral ports: it and its two origins.
fn start_emulator(rt: &tokio::runtime::Runtime) -> (emulator::Running, String, String) {
    let config = emulator::Config::default_config().with_ephemeral_ports();
    let running = rt.block_on(emulator::start(config)).unwrap();
    let (cognito, idp) = (
        running.cognito_url.clone(),
        running.idp_url.clone().unwrap(),
    );
    (running, cognito, idp)
}

/// How many journal events of this name the emulator recorded.
fn journal_count(rt: &tokio::runtime::Runtime, cognito: &str, name: &str) -> usize {
    let j: Value = rt
        .block_on(async {
            reqwest::get(format!("{cognito}/_emulator/journal?name={name}"))
                .await
                .unwrap()
                .json()
                .await
        })
        .unwrap();
    j["events"].as_array().unwrap().len()
}

/// A scenario whose precondition fails (its Lambda cannot be loaded) fails with the loader's
/// reason; the run goes on to the next scenario and prints its summary.
#[test]
fn a_failing_precondition_fails_its_scenario_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let handler = workspace().join("fixtures/lambda/contract/missing-module.js");
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        format!(
            "name = \"broken\"\ndescription = \"d\"\n[preconditions]\npre_sign_up_lambda = {:?}\n\
             native_users = [{{ email = \"x@example.com\", password = \"Passw0rd!\" }}]\n\
             [actors.x]\nemail = \"x@example.com\"\n[[steps]]\ndo = \"expect_tokens\"\n",
            handler.display().to_string()
        ),
    )
    .unwrap();
    let out = harness(&["run", broken.to_str().unwrap(), "scenarios/register.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("2 scenarios: 1 ok, 1 failed"), "{stdout}");
    let all = format!("{stdout}{}", text(&out.stderr));
    assert!(all.contains("Cannot find module"), "{all}");
}

#[test]
fn run_against_an_emulator_given_by_url() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (running, cognito, idp) = start_emulator(&rt);
    let out = harness(&[
        "run",
        "scenarios/register.toml",
        "scenarios/qr-fallback.toml",
        "--url",
        &cognito,
        "--idp-url",
        &idp,
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("2 scenarios: 2 ok, 0 failed"), "{stdout}");
    // A Lambda cannot be installed in a running emulator: refused, not silently skipped.
    let out = harness(&[
        "run",
        "scenarios/link-corrected.toml",
        "--url",
        &cognito,
        "--idp-url",
        &idp,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("needs the emulator the harness starts"),
        "{}",
        text(&out.stderr)
    );
    rt.block_on(running.stop());
}

fn claims(stdout: &[u8]) -> Value {
    let tokens: Value = serde_json::from_slice(stdout).unwrap();
    let payload = tokens["id_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn login_twice_against_a_running_emulator_uses_the_saved_passkey() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (running, cognito, idp) = start_emulator(&rt);
    let dir = tempfile::tempdir().unwrap();
    let device = dir.path().join("laptop.json");
    let login = || {
        harness(&[
            "login",
            "--email",
            "erin@example.com",
            "--device",
            device.to_str().unwrap(),
            "--url",
            &cognito,
            "--idp-url",
            &idp,
        ])
    };
    let first = login();
    assert!(first.status.success(), "{}", text(&first.stderr));
    let second = login();
    assert!(second.status.success(), "{}", text(&second.stderr));
    let (a, b) = (claims(&first.stdout), claims(&second.stdout));
    assert_eq!(a["sub"], b["sub"]);
    // The second sign-in was the passkey alone: one OTP was ever sent.
    assert_eq!(journal_count(&rt, &cognito, "otp.sent"), 1);
    rt.block_on(running.stop());
}

/// Two new users on one emulator, each without a device file: each gets a device of their
/// own (its seed drawn from the OS), so the second passkey is not refused as registered.
#[test]
fn two_new_users_sign_in_on_one_emulator() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (running, cognito, idp) = start_emulator(&rt);
    for email in ["first@example.com", "second@example.com"] {
        let out = harness(&[
            "login",
            "--email",
            email,
            "--url",
            &cognito,
            "--idp-url",
            &idp,
        ]);
        assert!(out.status.success(), "{email}: {}", text(&out.stderr));
        assert_eq!(claims(&out.stdout)["email"], email);
    }
    assert_eq!(journal_count(&rt, &cognito, "webauthn.registered"), 2);
    rt.block_on(running.stop());
}

#[test]
fn login_prints_cognito_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let device = dir.path().join("phone.json");
    let out = harness(&[
        "login",
        "--email",
        "Dana@Example.com",
        "--device",
        device.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tokens: Value = serde_json::from_slice(&out.stdout).unwrap();
    for t in ["id_token", "access_token", "refresh_token"] {
        assert!(tokens[t].is_string(), "{t} in {tokens}");
    }
    assert_eq!(tokens["token_type"], "Bearer");
    let claims = claims(&out.stdout);
    assert_eq!(claims["email"], "dana@example.com");
    assert!(
        claims["cognito:username"]
            .as_str()
            .unwrap()
            .starts_with("Mosaic_"),
        "{claims}"
    );
    // The passkey is in the device file.
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&device).unwrap()).unwrap();
    assert_eq!(
        saved["credentials"].as_array().map(Vec::len),
        Some(1),
        "{saved}"
    );
}

/// A passkey made by the harness's own authenticator (saved in the device file) signs in
/// through Chromium's WebAuthn stack, injected into its virtual authenticator as PKCS#8; read
/// back into the file (with Chromium's signature counter), it signs in without a browser
/// again. The laptop counts signatures as Chromium does: a device that always reports zero
/// would look cloned to the IdP after Chromium counted. Needs `chromium-driver`.
#[test]
fn a_passkey_from_the_device_file_signs_in_through_chromium() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (running, cognito, idp) = start_emulator(&rt);
    let dir = tempfile::tempdir().unwrap();
    let device = dir.path().join("laptop.json");
    let init = harness(&[
        "authenticator",
        "init",
        "--device",
        device.to_str().unwrap(),
    ]);
    assert!(init.status.success(), "{}", text(&init.stderr));
    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(&device).unwrap()).unwrap();
    file["config"]["counter"] = "per-credential".into();
    std::fs::write(&device, file.to_string()).unwrap();
    let login = |driver: &str| {
        let out = harness(&[
            "login",
            "--email",
            "fay@example.com",
            "--device",
            device.to_str().unwrap(),
            "--driver",
            driver,
            "--url",
            &cognito,
            "--idp-url",
            &idp,
        ]);
        assert!(out.status.success(), "{driver}: {}", text(&out.stderr));
        claims(&out.stdout)
    };
    let signed_up = login("http");
    let in_chromium = login("browser");
    let again = login("http");
    assert_eq!(signed_up["sub"], in_chromium["sub"]);
    assert_eq!(signed_up["sub"], again["sub"]);
    let count = |name: &str| journal_count(&rt, &cognito, name);
    assert_eq!(count("otp.sent"), 1);
    assert_eq!(count("webauthn.registered"), 1);
    assert_eq!(count("webauthn.authenticated"), 2);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&device).unwrap()).unwrap();
    assert_eq!(saved["credentials"].as_array().map(Vec::len), Some(1));
    rt.block_on(running.stop());
}
