//! Fuzzes the JSON API: the first byte picks the operation (an index into `Operation::ALL`),
//! the rest is the request body, sent as `POST /` with that operation's `X-Amz-Target` to the
//! in-process emulator. The whole path runs: body decoding, the operation's input type, its
//! validation and the operation itself against the store. Any answer is fine; a panic, an
//! abort or a hang is the failure.
//!
//! Held back: a pool's `LambdaConfig` naming a trigger target the emulator would run
//! (`node:<file>` spawns Node.js on that file, `http(s)://` calls that URL, up to three 5 s
//! attempts): such a member is dropped before sending; ARNs and `builtin:` stay. And deleting
//! the default pool or its app client, which would leave most operations nothing to work on
//! until the next reset: pools and clients the inputs create can be deleted.
#![no_main]

mod common;

use axum::body::Body;
use axum::http::Request;
use emulator::cognito::api::{Operation, TARGET_PREFIX};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// True if a string anywhere in `v` names a trigger target that runs something outside.
fn runs_outside(v: &Value) -> bool {
    match v {
        Value::String(s) => ["node:", "http://", "https://"]
            .iter()
            .any(|p| s.trim_start().starts_with(p)),
        Value::Array(a) => a.iter().any(runs_outside),
        Value::Object(o) => o.values().any(runs_outside),
        _ => false,
    }
}

/// The body to send: the input, the input without a `LambdaConfig` that runs outside, or
/// nothing (the default pool's or client's deletion).
fn body(op: Operation, rest: &[u8]) -> Option<Vec<u8>> {
    let Ok(Value::Object(mut o)) = serde_json::from_slice::<Value>(rest) else {
        return Some(rest.to_vec());
    };
    let deletes_default = match op {
        Operation::DeleteUserPool => o.get("UserPoolId").is_some_and(|v| v == common::POOL),
        Operation::DeleteUserPoolClient => o.get("ClientId").is_some_and(|v| v == common::CLIENT),
        _ => false,
    };
    if deletes_default {
        return None;
    }
    if o.get("LambdaConfig").is_some_and(runs_outside) {
        o.remove("LambdaConfig");
        return Some(Value::Object(o).to_string().into_bytes());
    }
    Some(rest.to_vec())
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let op = Operation::ALL[usize::from(pick) % Operation::ALL.len()];
    let Some(body) = body(op, rest) else {
        return;
    };
    let emu = &*common::EMU;
    emu.tick();
    let Ok(req) = Request::post("/")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("{TARGET_PREFIX}{}", op.name()))
        .body(Body::from(body))
    else {
        return;
    };
    emu.send(&emu.cognito, req);
});
