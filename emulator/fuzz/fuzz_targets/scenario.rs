//! Fuzzes the scenario loader: `harness::scenario::Scenario::parse(text, origin)` (TOML,
//! unknown keys refused, then every step's actor and device checked), and what the runner
//! derives from a parsed scenario before it runs (step titles, the PreSignUp handler's path,
//! each device's authenticator). Errors, never a panic.
#![no_main]

use std::path::Path;

use harness::scenario::Scenario;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(s) = Scenario::parse(text, Path::new("scenarios/fuzz.toml")) else {
        return;
    };
    for step in &s.steps {
        let _ = step.title();
    }
    let _ = s.lambda_path();
    for device in s.devices.values() {
        let _ = device.config();
    }
});
