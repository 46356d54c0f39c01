//! Time-based one-time passwords (RFC 6238 over RFC 4226): SHA-1, 30-second steps, 6 digits,
//! as authenticator apps and Cognito's software tokens use them; base32 secrets (RFC 4648).
//! Pure: the time comes in as an argument.

use aws_lc_rs::hmac;

const STEP_SECS: i64 = 30;
const DIGITS: u32 = 6;
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Base32 without padding, as authenticator apps read `otpauth://` secrets.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decode base32 (case-insensitive, padding and spaces ignored); `None` on other characters.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| *c != b'=' && *c != b' ') {
        let v = BASE32.iter().position(|x| *x == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The code for time step `step` (HOTP of the step counter).
pub fn code(secret: &[u8], step: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    let offset = (mac[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([
        mac[offset],
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]) & 0x7fff_ffff;
    format!(
        "{:0width$}",
        bin % 10u32.pow(DIGITS),
        width = DIGITS as usize
    )
}

/// The step `code` belongs to, if it is the code of the current step or one step either side
/// (clock drift), and later than `last_used` (a code is single use).
pub fn verify(secret: &[u8], code_in: &str, now_secs: i64, last_used: Option<i64>) -> Option<i64> {
    let now = now_secs.div_euclid(STEP_SECS);
    [now, now - 1, now + 1]
        .into_iter()
        .filter(|step| last_used.is_none_or(|last| *step > last))
        .find(|step| {
            let expected = code(secret, *step);
            aws_lc_rs::constant_time::verify_slices_are_equal(
                expected.as_bytes(),
                code_in.trim().as_bytes(),
            )
            .is_ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1 key "12345678901234567890", 8 digits; the last 6 here.
        let secret = b"12345678901234567890";
        for (t, expected) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code(secret, t / STEP_SECS), expected, "t={t}");
        }
    }

    #[test]
    fn codes_are_single_use_and_tolerate_one_step_of_drift() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_109;
        let c = code(secret, now / STEP_SECS);
        let step = verify(secret, &c, now, None).unwrap();
        assert_eq!(verify(secret, &c, now, Some(step)), None);
        assert!(verify(secret, &c, now + 30, None).is_some());
        assert_eq!(verify(secret, &c, now + 90, None), None);
        assert_eq!(verify(secret, "000000x", now, None), None);
    }

    #[test]
    fn base32_round_trips() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(from_base32("mzxw6ytboi======").unwrap(), b"foobar");
        assert_eq!(from_base32("1"), None);
        let bytes: Vec<u8> = (0..20).collect();
        assert_eq!(from_base32(&base32(&bytes)).unwrap(), bytes);
    }
}
