//! Fuzzes the config loader: `Config::parse(text, origin)` (TOML, unknown keys refused), then
//! what checks a parsed config before a start: the `[idp]` section's validation and derived
//! settings (`Settings::new`: relying party, issuer, apps), the trigger table
//! (`triggers::check_config`; it only looks a `node:` or `python:` handler file up), and
//! moving the listeners to ephemeral ports. Whatever the text, errors, never a panic.
//!
//! Not run here: applying the pools (`seed::apply`) creates each pool with two RSA-2048 keys,
//! far too slow per input; the pool, client and provider validation it goes through is the
//! API's own, fuzzed by the `api` target.
#![no_main]

use emulator::Config;
use emulator::idp::Settings;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = Config::parse(text, "fuzz.toml") else {
        return;
    };
    if let Some(idp) = &config.idp {
        let _ = idp.validate();
        let url = idp
            .public_url
            .as_deref()
            .unwrap_or("http://idp.localhost:9230");
        let _ = Settings::new(idp, url);
    }
    let _ = emulator::cognito::triggers::check_config(&config);
    let _ = config.with_ephemeral_ports();
});
