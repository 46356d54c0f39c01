//! SRP-6a as Cognito speaks it (`USER_SRP_AUTH`, `PASSWORD_VERIFIER`, and the same math for
//! remembered devices): the RFC 5054 3072-bit group, g = 2, SHA-256, and the client libraries'
//! padding. Pure: randomness comes in as arguments.
//!
//! The byte strings hashed are those of amazon-cognito-identity-js's `padHex`: a number's
//! big-endian magnitude with one leading zero byte when its top bit is set (a signed
//! two's-complement reading would make it negative). A fixed-width padding would agree with
//! the clients only when the top bit is clear, so a mismatch fails about one sign-in in 256.

use aws_lc_rs::{digest, hkdf, hmac};
use num_bigint::BigUint;

/// RFC 5054 appendix A, 3072-bit group (also RFC 3526 group 15).
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

/// HKDF's `info` in Cognito's key derivation.
const INFO: &[u8] = b"Caldera Derived Key";

/// The group and its multiplier `k = H(PAD(N) || PAD(g))`, computed once.
#[derive(Debug, Clone)]
pub struct Group {
    n: BigUint,
    g: BigUint,
    k: BigUint,
}

impl Default for Group {
    fn default() -> Self {
        let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap_or_default();
        let g = BigUint::from(2u8);
        let k = hash_to_int(&[&pad(&n), &pad(&g)]);
        Self { n, g, k }
    }
}

/// The magnitude's bytes, with a zero byte in front when the top bit is set (`padHex`).
pub fn pad(x: &BigUint) -> Vec<u8> {
    let mut bytes = x.to_bytes_be();
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    bytes
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

fn hash_to_int(parts: &[&[u8]]) -> BigUint {
    BigUint::from_bytes_be(&sha256(parts))
}

/// What the pool keeps instead of a password: `v = g^x` for a salt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    pub salt: BigUint,
    pub v: BigUint,
}

/// The server's half of one attempt: `b` is secret, `B = k v + g^b` goes to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerKey {
    pub b: BigUint,
    pub big_b: BigUint,
}

/// Why a client's SRP value or proof is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SrpError {
    #[error("SRP_A is not a hexadecimal number")]
    MalformedA,
    #[error("SRP_A mod N is zero")]
    ZeroA,
    #[error("the scrambling parameter u is zero")]
    ZeroU,
    #[error("the password claim signature does not match")]
    BadSignature,
}

impl Group {
    /// `x = H(PAD(salt) || H(poolName || userId || ":" || password))`.
    fn x(&self, salt: &BigUint, pool_name: &str, user_id: &str, password: &str) -> BigUint {
        let inner = sha256(&[
            pool_name.as_bytes(),
            user_id.as_bytes(),
            b":",
            password.as_bytes(),
        ]);
        hash_to_int(&[&pad(salt), &inner])
    }

    /// The verifier for a password, with a random `salt` (16 bytes, as Cognito's).
    pub fn verifier(
        &self,
        salt: &[u8],
        pool_name: &str,
        user_id: &str,
        password: &str,
    ) -> Verifier {
        let salt = BigUint::from_bytes_be(salt);
        let x = self.x(&salt, pool_name, user_id, password);
        Verifier {
            v: self.g.modpow(&x, &self.n),
            salt,
        }
    }

    /// Parse and check the client's `SRP_A`.
    pub fn parse_a(&self, hex: &str) -> Result<BigUint, SrpError> {
        let a = BigUint::parse_bytes(hex.trim().as_bytes(), 16).ok_or(SrpError::MalformedA)?;
        if &a % &self.n == BigUint::ZERO {
            return Err(SrpError::ZeroA);
        }
        Ok(a)
    }

    /// The server's key for one attempt from 32 random bytes.
    pub fn server_key(&self, v: &BigUint, random: &[u8; 32]) -> ServerKey {
        let b = BigUint::from_bytes_be(random) % &self.n;
        let big_b = (&self.k * v + self.g.modpow(&b, &self.n)) % &self.n;
        ServerKey { b, big_b }
    }

    /// `u = H(PAD(A) || PAD(B))`.
    pub fn u(&self, a: &BigUint, big_b: &BigUint) -> Result<BigUint, SrpError> {
        let u = hash_to_int(&[&pad(a), &pad(big_b)]);
        if u == BigUint::ZERO {
            return Err(SrpError::ZeroU);
        }
        Ok(u)
    }

    /// The 16-byte key both sides derive: HKDF-SHA256(PAD(S), salt PAD(u)), S = (A v^u)^b.
    pub fn server_session_key(
        &self,
        a: &BigUint,
        v: &BigUint,
        key: &ServerKey,
    ) -> Result<[u8; 16], SrpError> {
        let u = self.u(a, &key.big_b)?;
        let s = (a * v.modpow(&u, &self.n)).modpow(&key.b, &self.n);
        Ok(derive_key(&s, &u))
    }

    /// The client's side (for tests and the harness): `S = (B - k g^x)^(a + u x)`.
    pub fn client_session_key(
        &self,
        a_secret: &BigUint,
        big_b: &BigUint,
        salt: &BigUint,
        pool_name: &str,
        user_id: &str,
        password: &str,
    ) -> Result<[u8; 16], SrpError> {
        let big_a = self.g.modpow(a_secret, &self.n);
        let u = self.u(&big_a, big_b)?;
        let x = self.x(salt, pool_name, user_id, password);
        let kgx = (&self.k * self.g.modpow(&x, &self.n)) % &self.n;
        let base = (big_b + &self.n - kgx) % &self.n;
        let s = base.modpow(&(a_secret + &u * &x), &self.n);
        Ok(derive_key(&s, &u))
    }

    /// `A = g^a` for the client side.
    pub fn public_a(&self, a_secret: &BigUint) -> BigUint {
        self.g.modpow(a_secret, &self.n)
    }
}

fn derive_key(s: &BigUint, u: &BigUint) -> [u8; 16] {
    let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, &pad(u));
    let prk = salt.extract(&pad(s));
    let mut out = [0u8; 16];
    let info = [INFO];
    if let Ok(okm) = prk.expand(&info, Len16) {
        // 16 bytes is far below HKDF-SHA256's limit of 255 * 32: `fill` cannot fail here.
        let _ = okm.fill(&mut out);
    }
    out
}

struct Len16;
impl hkdf::KeyType for Len16 {
    fn len(&self) -> usize {
        16
    }
}

/// `HMAC-SHA256(key, poolName || userId || secretBlock || timestamp)`: the client's proof.
pub fn claim_signature(
    key: &[u8; 16],
    pool_name: &str,
    user_id: &str,
    secret_block: &[u8],
    timestamp: &str,
) -> hmac::Tag {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    for part in [
        pool_name.as_bytes(),
        user_id.as_bytes(),
        secret_block,
        timestamp.as_bytes(),
    ] {
        ctx.update(part);
    }
    ctx.sign()
}

/// Check a client's signature in constant time.
pub fn verify_claim(
    key: &[u8; 16],
    pool_name: &str,
    user_id: &str,
    secret_block: &[u8],
    timestamp: &str,
    signature: &[u8],
) -> Result<(), SrpError> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let msg = [
        pool_name.as_bytes(),
        user_id.as_bytes(),
        secret_block,
        timestamp.as_bytes(),
    ]
    .concat();
    hmac::verify(&key, &msg, signature).map_err(|_| SrpError::BadSignature)
}

/// The part of a pool id after the region and underscore: SRP's "pool name".
pub fn pool_name(pool_id: &str) -> &str {
    pool_id.split_once('_').map_or(pool_id, |(_, name)| name)
}

/// Cognito's `TIMESTAMP` format, e.g. `Tue Sep 3 12:01:02 UTC 2024` (day not zero-padded),
/// from epoch seconds: what the clients send, so the server can check its shape.
pub fn timestamp(epoch_secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = epoch_secs.div_euclid(86_400);
    let secs = epoch_secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{} {} {} {:02}:{:02}:{:02} UTC {}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        d,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        y
    )
}

/// Days since 1970-01-01 to (year, month, day) (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pad_adds_a_zero_byte_only_when_the_top_bit_is_set() {
        assert_eq!(pad(&BigUint::from(0x7fu8)), vec![0x7f]);
        assert_eq!(pad(&BigUint::from(0x80u8)), vec![0x00, 0x80]);
        assert_eq!(pad(&BigUint::from(0x0102u16)), vec![0x01, 0x02]);
    }

    #[test]
    fn client_and_server_derive_the_same_key_and_wrong_passwords_do_not() {
        let group = Group::default();
        for i in 0u8..20 {
            let salt = [i.wrapping_mul(37); 16];
            let ver = group.verifier(&salt, "Pool1", "user", "Passw0rd!");
            let a_secret = BigUint::from_bytes_be(&[i.wrapping_add(1); 128]);
            let big_a = group.public_a(&a_secret);
            let key = group.server_key(&ver.v, &[i.wrapping_add(9); 32]);
            let server = group.server_session_key(&big_a, &ver.v, &key).unwrap();
            let client = group
                .client_session_key(
                    &a_secret,
                    &key.big_b,
                    &ver.salt,
                    "Pool1",
                    "user",
                    "Passw0rd!",
                )
                .unwrap();
            assert_eq!(server, client);
            let wrong = group
                .client_session_key(
                    &a_secret,
                    &key.big_b,
                    &ver.salt,
                    "Pool1",
                    "user",
                    "passw0rd!",
                )
                .unwrap();
            assert_ne!(server, wrong);
            let sig = claim_signature(&client, "Pool1", "user", b"block", "ts");
            assert_eq!(
                verify_claim(&server, "Pool1", "user", b"block", "ts", sig.as_ref()),
                Ok(())
            );
            assert_eq!(
                verify_claim(&server, "Pool1", "user", b"block", "ts2", sig.as_ref()),
                Err(SrpError::BadSignature)
            );
        }
    }

    #[test]
    fn a_multiple_of_n_is_refused() {
        let group = Group::default();
        assert_eq!(group.parse_a("0"), Err(SrpError::ZeroA));
        assert_eq!(group.parse_a(N_HEX), Err(SrpError::ZeroA));
        assert_eq!(group.parse_a("xyz"), Err(SrpError::MalformedA));
        assert!(group.parse_a("abc").is_ok());
    }

    #[test]
    fn timestamps_have_cognitos_shape() {
        assert_eq!(timestamp(0), "Thu Jan 1 00:00:00 UTC 1970");
        assert_eq!(timestamp(1_725_364_862), "Tue Sep 3 12:01:02 UTC 2024");
        assert_eq!(pool_name("us-east-1_Mosaic001"), "Mosaic001");
    }
}
