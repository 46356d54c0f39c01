//! Fuzzes the JSON API: the first byte picks the operation (an index into `Operation::ALL`),
//! the rest is the request body, sent as `POST /` with that operation's `X-Amz-Target` to the
//! in-process emulator. The whole path runs: body decoding, the operation's input type, its
//! validation and the operation itself against the store. A panic, an abort or a hang is a
//! failure, and so is an answer out of the wire contract: success is a JSON object, a refusal
//! a 4xx with a JSON `__type` and a non-empty `message` (no input may cause an internal error).
//!
//! Strings that are exactly a placeholder of `common` (`@access`, `@refresh`,
//! `@secret-block`, `@new-password-session`, `@user`) are replaced by live values made for
//! the input, so the operations behind an access token or a sign-in session are reached too.
//!
//! Held back: a pool's `LambdaConfig` naming a trigger target the emulator would run
//! (`node:<file>` and `python:<file>` spawn Node.js or Python on that file, `http(s)://` calls
//! that URL, up to three 5 s attempts): such a member is dropped before sending; ARNs and
//! `builtin:` stay. And deleting
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
        Value::String(s) => ["node:", "python:", "http://", "https://"]
            .iter()
            .any(|p| s.trim_start().starts_with(p)),
        Value::Array(a) => a.iter().any(runs_outside),
        Value::Object(o) => o.values().any(runs_outside),
        _ => false,
    }
}

/// Calls `f` on every string in `v`.
fn strings(v: &mut Value, f: &mut impl FnMut(&mut String)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter_mut().for_each(|v| strings(v, f)),
        Value::Object(o) => o.values_mut().for_each(|v| strings(v, f)),
        _ => {}
    }
}

/// The body to send: the input, the input with live values for its placeholders and
/// without a `LambdaConfig` that runs outside, or nothing (the default pool's or client's
/// deletion).
fn body(emu: &common::Emu, op: Operation, rest: &[u8]) -> Option<Vec<u8>> {
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
    let mut changed = false;
    if o.get("LambdaConfig").is_some_and(runs_outside) {
        o.remove("LambdaConfig");
        changed = true;
    }
    let mut o = Value::Object(o);
    let mut wanted = Vec::new();
    strings(&mut o, &mut |s| {
        if common::PLACEHOLDERS.contains(&s.as_str()) {
            wanted.push(s.clone());
        }
    });
    if !wanted.is_empty() {
        let live = emu.live(|p| wanted.iter().any(|w| w == p));
        strings(&mut o, &mut |s| {
            if let Some((_, v)) = live.iter().find(|(p, _)| p == s) {
                *s = v.clone();
            }
        });
        changed = true;
    }
    Some(if changed {
        o.to_string().into_bytes()
    } else {
        rest.to_vec()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let op = Operation::ALL[usize::from(pick) % Operation::ALL.len()];
    let emu = &*common::EMU;
    emu.tick();
    let Some(body) = body(emu, op, rest) else {
        return;
    };
    let Ok(req) = Request::post("/")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("{TARGET_PREFIX}{}", op.name()))
        .body(Body::from(body))
    else {
        return;
    };
    let (status, body) = emu.send(&emu.cognito, req);
    let answer: Option<Value> = serde_json::from_slice(&body).ok();
    if status == 200 {
        assert!(
            matches!(answer, Some(Value::Object(_))),
            "200 without a JSON object"
        );
    } else {
        assert!(
            (400..500).contains(&status),
            "{} answered {status}",
            op.name()
        );
        let refusal = answer.as_ref().filter(|a| a["__type"].is_string());
        let message = refusal.and_then(|a| a["message"].as_str());
        assert!(
            message.is_some_and(|m| !m.is_empty()),
            "{} refused without a message",
            op.name()
        );
    }
});
