//! Server-side challenges: issued with an expiry, consumed once; serialisable for persistence.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    expires_at_ms: u64,
    used: bool,
}

/// Challenges this relying party issued, keyed by their base64url form. A used challenge is
/// remembered until it expires so a replay is reported as such, then pruned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeRegistry {
    entries: BTreeMap<String, Entry>,
}

impl ChallengeRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a freshly issued challenge (and prunes expired ones).
    pub fn issue(&mut self, challenge: &str, expires_at_ms: u64, now_ms: u64) {
        self.prune(now_ms);
        self.entries.insert(
            challenge.to_owned(),
            Entry {
                expires_at_ms,
                used: false,
            },
        );
    }

    /// Marks `challenge` used; fails if unknown, already used or expired.
    pub fn consume(&mut self, challenge: &str, now_ms: u64) -> Result<(), Error> {
        let challenge_owned = || challenge.to_owned();
        let Some(entry) = self.entries.get_mut(challenge) else {
            return Err(Error::ChallengeUnknown {
                challenge: challenge_owned(),
            });
        };
        if entry.used {
            return Err(Error::ChallengeReplayed {
                challenge: challenge_owned(),
            });
        }
        entry.used = true;
        if now_ms > entry.expires_at_ms {
            return Err(Error::ChallengeExpired {
                challenge: challenge_owned(),
                expires_at_ms: entry.expires_at_ms,
                now_ms,
            });
        }
        Ok(())
    }

    /// Drops entries that expired before `now_ms`.
    pub fn prune(&mut self, now_ms: u64) {
        self.entries.retain(|_, e| e.expires_at_ms >= now_ms);
    }

    /// Number of remembered challenges (issued or used, not yet expired).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
