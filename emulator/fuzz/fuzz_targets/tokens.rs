//! Fuzzes the token decoders. The first byte picks one:
//! 0: a pagination token (`page_token::decode`): a position, never negative, or an error;
//! 1: eight bytes as a position: `encode` then `decode` gives it back (negative: refused);
//! 2: a federation `state` (`state::pool_of`, `state::verify` under a fixed key): a forged
//!    state never verifies;
//! 3: `pool_id "\n" flow_id`: `sign` then `verify` gives both back, `pool_of` the pool;
//! 4: an access token (`tokens::check_access_token`) on the in-process emulator;
//! 5: JSON claims signed with the default pool's access key, then checked: the checks after
//!    the signature (issuer, use, expiry, revocation, user) on claims the fuzzer chooses.
#![no_main]

mod common;

use emulator::cognito::api::page_token;
use emulator::cognito::federation::state;
use emulator::cognito::tokens::check_access_token;
use libfuzzer_sys::fuzz_target;

const KEY: &[u8] = b"fuzzing state key, 32 bytes long";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = std::str::from_utf8(rest).ok();
    match mode % 6 {
        0 => {
            if let Ok(n) = page_token::decode(text) {
                assert!(n >= 0, "{text:?} decoded to {n}");
            }
        }
        1 => {
            let Ok(bytes) = <[u8; 8]>::try_from(rest) else {
                return;
            };
            let n = i64::from_le_bytes(bytes);
            let back = page_token::decode(Some(&page_token::encode(n))).ok();
            assert_eq!(back, (n >= 0).then_some(n), "{n}");
        }
        2 => {
            let Some(text) = text else { return };
            let _ = state::pool_of(text);
            if let Some((pool, flow)) = state::verify(KEY, text) {
                // Only a state this key signed verifies.
                assert_eq!(
                    state::sign(KEY, &pool, &flow),
                    text,
                    "forged state verified"
                );
            }
        }
        3 => {
            let Some((pool, flow)) = text.and_then(|t| t.split_once('\n')) else {
                return;
            };
            let signed = state::sign(KEY, pool, flow);
            let back = state::verify(KEY, &signed);
            assert_eq!(back, Some((pool.to_owned(), flow.to_owned())));
            assert_eq!(state::pool_of(&signed).as_deref(), Some(pool));
        }
        4 => {
            let Some(text) = text else { return };
            let emu = &*common::EMU;
            emu.tick();
            let _ = check_access_token(&emu.running.cognito, text);
        }
        _ => {
            let Ok(claims) = serde_json::from_slice::<serde_json::Value>(rest) else {
                return;
            };
            let emu = &*common::EMU;
            emu.tick();
            let cx = &emu.running.cognito;
            let Ok(keys) = cx.keys.get(cx, common::POOL) else {
                return;
            };
            let Ok(token) = keys.access.sign(&claims) else {
                return;
            };
            let _ = check_access_token(cx, &token);
        }
    }
});
