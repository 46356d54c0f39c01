//! Password policy checks (Cognito's messages) and password hashing.

use std::num::NonZeroU32;

use aws_lc_rs::pbkdf2;
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;

use super::error::{CognitoError, Exception, Result};
use super::model::PasswordPolicy;
use crate::clock::Entropy;

/// The symbols Cognito counts as special characters.
const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

/// PBKDF2 iterations: enough to be a real hash, few enough that tests stay fast. An emulator
/// holds test passwords; this is not a production password store.
const ITERATIONS: u32 = 1_000;

/// Check a password against the pool policy, naming the first rule it breaks as Cognito does.
pub fn check(policy: &PasswordPolicy, password: &str) -> Result<()> {
    let fail = |why: &str| {
        Err(CognitoError::new(
            Exception::InvalidPassword,
            format!("Password did not conform with policy: {why}"),
        ))
    };
    if password.chars().count() < policy.minimum_length {
        return fail("Password not long enough");
    }
    if password.chars().count() > 256 {
        return fail("Password must have length less than or equal to 256");
    }
    if policy.require_lowercase && !password.chars().any(|c| c.is_lowercase()) {
        return fail("Password must have lowercase characters");
    }
    if policy.require_uppercase && !password.chars().any(|c| c.is_uppercase()) {
        return fail("Password must have uppercase characters");
    }
    if policy.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
        return fail("Password must have numeric characters");
    }
    if policy.require_symbols && !password.chars().any(|c| SYMBOLS.contains(c)) {
        return fail("Password must have symbol characters");
    }
    Ok(())
}

/// `pbkdf2-sha256$<iterations>$<salt>$<hash>`.
pub fn hash(entropy: &Entropy, password: &str) -> String {
    let salt = entropy.bytes::<16>();
    let out = derive(ITERATIONS, &salt, password);
    format!(
        "pbkdf2-sha256${ITERATIONS}${}${}",
        B64.encode(salt),
        B64.encode(out)
    )
}

fn derive(iterations: u32, salt: &[u8], password: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    let n = NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        n,
        salt,
        password.as_bytes(),
        &mut out,
    );
    out
}

/// Does `password` match a hash made by [`hash`]? Constant-time comparison.
pub fn verify(stored: &str, password: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    let [scheme, iterations, salt, expected] = parts.as_slice() else {
        return false;
    };
    let (Ok(iterations), Ok(salt), Ok(expected)) = (
        iterations.parse::<u32>(),
        B64.decode(salt),
        B64.decode(expected),
    ) else {
        return false;
    };
    if *scheme != "pbkdf2-sha256" {
        return false;
    }
    let n = NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN);
    pbkdf2::verify(
        pbkdf2::PBKDF2_HMAC_SHA256,
        n,
        &salt,
        password.as_bytes(),
        &expected,
    )
    .is_ok()
}

/// A temporary password that satisfies any policy (AdminCreateUser without one).
pub fn temporary(entropy: &Entropy) -> String {
    let body = entropy.string_from(crate::clock::ALNUM, 10);
    format!("Aa1!{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            temporary_validity_days: 7,
        }
    }

    #[test]
    fn policy_names_the_broken_rule() {
        let check_msg = |pw: &str| check(&policy(), pw).err().map(|e| e.message);
        assert_eq!(check_msg("Passw0rd!"), None);
        for (pw, why) in [
            ("Pa0!", "Password not long enough"),
            ("PASSWORD0!", "Password must have lowercase characters"),
            ("password0!", "Password must have uppercase characters"),
            ("Password!!", "Password must have numeric characters"),
            ("Password00", "Password must have symbol characters"),
        ] {
            assert_eq!(
                check_msg(pw).as_deref(),
                Some(format!("Password did not conform with policy: {why}").as_str())
            );
        }
    }

    #[test]
    fn hashes_verify_and_temporaries_pass_policy() {
        let e = Entropy::seeded(3);
        let h = hash(&e, "Passw0rd!");
        assert!(verify(&h, "Passw0rd!"));
        assert!(!verify(&h, "passw0rd!"));
        assert!(!verify("garbage", "x"));
        assert!(check(&policy(), &temporary(&e)).is_ok());
    }
}
