//! Durable state: one SQLite database (a file under the data directory, or in memory with
//! `--ephemeral`), embedded migrations, and typed access for the services.
//!
//! Durability: WAL journal; every acknowledged write is a committed transaction in the WAL
//! before the response is sent, so killing the process (even with SIGKILL) loses nothing that
//! was acknowledged. `synchronous=NORMAL` trades power-loss durability of the last commits for
//! speed, which is the right trade for a development emulator.

mod entities;
mod idp;
mod query;
mod sessions;
mod unique;
mod users;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

pub use entities::Entity;
pub use idp::{IdpCredentialRow, IdpUserRow};
pub use query::{AttrQuery, UserQuery};
pub use sessions::RefreshRow;
pub use unique::UniqueRule;
pub use users::{Page, UserRow};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("corrupt document in {kind}: {source}")]
    Corrupt {
        kind: &'static str,
        source: serde_json::Error,
    },
    #[error("unique constraint violated: {0}")]
    Conflict(String),
    #[error("database migration {version} failed: {reason}")]
    Migration { version: u32, reason: String },
    #[error(
        "the data directory {0} is in use by another emulator (stop it, or give --data-dir another directory)"
    )]
    InUse(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("idp.sql"),
    include_str!("refresh_scope.sql"),
    include_str!("meta.sql"),
    include_str!("unique.sql"),
    include_str!("owners.sql"),
    include_str!("fold.sql"),
];

/// The writes of one operation, inside its transaction ([`Store::write`]): all land, or none.
#[derive(Debug)]
pub struct Tx<'a>(&'a rusqlite::Transaction<'a>);

/// The database. A `std::sync::Mutex` around one connection: every statement is short and no
/// lock is held across an `.await`, so handlers call it directly.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Open (creating if needed) `dir/emulator.sqlite`, locked for this process alone: a
    /// directory another emulator holds is refused at once with [`StoreError::InUse`].
    pub fn open(dir: &Path) -> Result<Self> {
        let conn = Connection::open(dir.join("emulator.sqlite"))?;
        // Refused at once, not after rusqlite's default 5 s of retries.
        conn.busy_timeout(std::time::Duration::ZERO)?;
        let locked = |e: rusqlite::Error| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::InUse(dir.display().to_string())
            }
            _ => StoreError::Sqlite(e),
        };
        // One process owns the data directory: its locks are taken once, not around every
        // statement (two system calls each). Set before the first access, so WAL keeps its
        // index in this process's memory (no shared-memory file).
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
            .map_err(locked)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(locked)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Keep the indexes of a large pool in memory: lookups then cost the same at 1M users.
        conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        // The write lock now, before anything else: held until the process lets go.
        conn.execute_batch("BEGIN IMMEDIATE; COMMIT;")
            .map_err(locked)?;
        Self::init(conn)
    }

    /// An in-memory database (`--ephemeral`, tests).
    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Every statement the emulator runs stays prepared (rusqlite keeps 16 by default, fewer
        // than one sign-in uses, so hot statements were parsed again and again).
        conn.set_prepared_statement_cache_capacity(256);
        migrate(&conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` in one transaction: all of its writes land, or none.
    pub fn transaction<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Run one operation's writes (`f`, through [`Tx`]) in one transaction.
    pub fn write<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.transaction(|tx| f(&Tx(tx)))
    }

    /// Count a server start; returns how many starts came before this one.
    pub fn count_start(&self) -> Result<u64> {
        let conn = self.conn();
        let before: i64 = conn.query_row(
            "INSERT INTO meta (key, value) VALUES ('starts', 1)
             ON CONFLICT (key) DO UPDATE SET value = value + 1 RETURNING value - 1",
            [],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(before).unwrap_or(0))
    }

    /// Delete everything (the control plane's reset).
    pub fn wipe(&self) -> Result<()> {
        self.conn().execute_batch(
            "DELETE FROM entities; DELETE FROM users; DELETE FROM user_attrs; DELETE FROM memberships;
             DELETE FROM refresh_tokens; DELETE FROM revoked_origins;
             DELETE FROM idp_credentials; DELETE FROM idp_users;
             DELETE FROM unique_rules; DELETE FROM unique_attrs;",
        )?;
        Ok(())
    }
}

fn migrate(conn: &Connection) -> Result<()> {
    let current: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i as u32 + 1;
        let fail = |e: rusqlite::Error| StoreError::Migration {
            version,
            reason: e.to_string(),
        };
        conn.execute_batch(&format!(
            "BEGIN; {sql}; PRAGMA user_version = {version}; COMMIT;"
        ))
        .map_err(fail)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_idempotent_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let store = Store::open(dir.path()).unwrap();
        let v: u32 = store
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, MIGRATIONS.len());
    }
}
