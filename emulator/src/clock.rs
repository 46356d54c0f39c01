//! Injected time and randomness: the only sources of "now" and of random bytes in the emulator.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// The current time, injected so that tests and scenario transcripts are deterministic.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;

    /// Whole seconds since the Unix epoch (JWT `iat`/`exp`).
    fn now_secs(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }
}

/// The wall clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to: for tests and deterministic scenarios.
#[derive(Debug)]
pub struct ManualClock {
    millis: AtomicI64,
}

impl ManualClock {
    pub fn new(start_millis: i64) -> Self {
        Self {
            millis: AtomicI64::new(start_millis),
        }
    }

    pub fn advance_secs(&self, secs: i64) {
        self.millis.fetch_add(secs * 1000, Ordering::SeqCst);
    }

    pub fn set_millis(&self, millis: i64) {
        self.millis.store(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        self.millis.load(Ordering::SeqCst)
    }
}

/// Another clock moved by a shared, adjustable offset: how a fault skews one service's time
/// against the other's (`faults`), or advances both.
#[derive(Debug)]
pub struct SkewedClock {
    base: std::sync::Arc<dyn Clock>,
    offset_millis: std::sync::Arc<AtomicI64>,
}

impl SkewedClock {
    pub fn new(base: std::sync::Arc<dyn Clock>, offset_millis: std::sync::Arc<AtomicI64>) -> Self {
        Self {
            base,
            offset_millis,
        }
    }
}

impl Clock for SkewedClock {
    fn now_millis(&self) -> i64 {
        self.base
            .now_millis()
            .saturating_add(self.offset_millis.load(Ordering::SeqCst))
    }
}

/// The random source: ChaCha20 seeded from the config (deterministic) or from the OS.
///
/// A `std::sync::Mutex` because it is never held across an `.await`.
#[derive(Debug)]
pub struct Entropy {
    rng: Mutex<ChaCha20Rng>,
}

impl Entropy {
    pub fn seeded(seed: u64) -> Self {
        Self::seeded_stream(seed, 0)
    }

    /// Stream `stream` of the generator seeded with `seed`: stream 0 is [`Entropy::seeded`];
    /// the others never overlap it (ChaCha20's 64-bit stream id), so a data directory's n-th
    /// start draws values no earlier start drew.
    pub fn seeded_stream(seed: u64, stream: u64) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        Self {
            rng: Mutex::new(rng),
        }
    }

    pub fn from_os() -> Self {
        let mut seed = [0u8; 32];
        // aws-lc's DRBG is already linked for the token signer; use it for the seed.
        if aws_lc_rs::rand::fill(&mut seed).is_err() {
            let t = SystemClock.now_millis();
            seed[..8].copy_from_slice(&t.to_le_bytes());
        }
        Self {
            rng: Mutex::new(ChaCha20Rng::from_seed(seed)),
        }
    }

    pub fn fill(&self, buf: &mut [u8]) {
        let mut rng = self
            .rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        rng.fill_bytes(buf);
    }

    pub fn bytes<const N: usize>(&self) -> [u8; N] {
        let mut out = [0u8; N];
        self.fill(&mut out);
        out
    }

    /// A random version-4 UUID, as Cognito uses for `sub`.
    pub fn uuid(&self) -> String {
        uuid::Builder::from_random_bytes(self.bytes::<16>())
            .into_uuid()
            .to_string()
    }

    /// `len` characters drawn uniformly from `alphabet` (rejection sampling, no modulo bias).
    pub fn string_from(&self, alphabet: &[u8], len: usize) -> String {
        let limit = 256 - (256 % alphabet.len());
        let mut out = String::with_capacity(len);
        while out.len() < len {
            for b in self.bytes::<32>() {
                if (b as usize) < limit && out.len() < len {
                    out.push(alphabet[b as usize % alphabet.len()] as char);
                }
            }
        }
        out
    }

    /// A decimal code of `digits` digits (confirmation codes, OTPs).
    pub fn digits(&self, digits: usize) -> String {
        self.string_from(b"0123456789", digits)
    }
}

pub const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_entropy_is_reproducible() {
        let (a, b) = (Entropy::seeded(7), Entropy::seeded(7));
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(
            a.string_from(LOWER_ALNUM, 26),
            b.string_from(LOWER_ALNUM, 26)
        );
        assert_ne!(Entropy::seeded(8).uuid(), Entropy::seeded(7).uuid());
        assert_eq!(
            Entropy::seeded_stream(7, 0).uuid(),
            Entropy::seeded(7).uuid()
        );
        assert_ne!(
            Entropy::seeded_stream(7, 1).uuid(),
            Entropy::seeded(7).uuid()
        );
    }

    #[test]
    fn codes_have_the_requested_shape() {
        let e = Entropy::seeded(1);
        let code = e.digits(6);
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        let id = e.string_from(LOWER_ALNUM, 26);
        assert!(id.bytes().all(|b| LOWER_ALNUM.contains(&b)));
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(1_000);
        assert_eq!(c.now_secs(), 1);
        c.advance_secs(5);
        assert_eq!(c.now_millis(), 6_000);
    }

    #[test]
    fn a_skewed_clock_follows_its_base_and_its_offset() {
        let base = std::sync::Arc::new(ManualClock::new(10_000));
        let offset = std::sync::Arc::new(AtomicI64::new(-3_000));
        let skewed = SkewedClock::new(base.clone(), offset.clone());
        assert_eq!(skewed.now_millis(), 7_000);
        base.advance_secs(1);
        offset.store(0, Ordering::SeqCst);
        assert_eq!(skewed.now_millis(), 11_000);
    }
}
