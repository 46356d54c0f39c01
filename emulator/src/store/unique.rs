//! Uniqueness of attribute values among a pool's native users (migration 5): the pool's rules
//! (a username attribute always; an email or phone alias once verified; preferred_username),
//! and the index of the values users hold, written in the transaction of every user write so
//! the database, not a read before the write, decides who gets a value.

use rusqlite::{OptionalExtension, Transaction, params};

use super::users::{COLUMNS, conflict, finish, read_user};
use super::{Result, Store, Tx, UserRow};

/// The user's values under the pool's uniqueness rules; another user holding one is a
/// `Conflict` (and the caller's transaction rolls back). `lenient` (rebuilding an index over
/// existing users) keeps the first holder instead. Federated users share emails with native
/// ones by design (linking): they take no unique value.
pub(super) fn write_unique(tx: &Transaction<'_>, user: &UserRow, lenient: bool) -> Result<()> {
    tx.prepare_cached("DELETE FROM unique_attrs WHERE user_id = ?1")?
        .execute([user.id])?;
    if user.status == "EXTERNAL_PROVIDER" {
        return Ok(());
    }
    let rules: Vec<(String, bool, bool)> = tx
        .prepare_cached("SELECT name, verified_only, fold FROM unique_rules WHERE pool_id = ?1")?
        .query_map([&user.pool_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let verb = if lenient {
        "INSERT OR IGNORE"
    } else {
        "INSERT"
    };
    let mut insert = tx.prepare_cached(&format!(
        "{verb} INTO unique_attrs (pool_id, name, value, user_id) VALUES (?1, ?2, ?3, ?4)"
    ))?;
    for (name, verified_only, fold) in rules {
        let Some(value) = user.attribute(&name) else {
            continue;
        };
        if verified_only && user.attribute(&format!("{name}_verified")) != Some("true") {
            continue;
        }
        let value = if fold {
            value.to_lowercase()
        } else {
            value.to_owned()
        };
        insert
            .execute(params![user.pool_id, name, value, user.id])
            .map_err(conflict)?;
    }
    Ok(())
}

/// Set a pool's uniqueness rules (attribute, only once verified); when they change, the
/// index is rebuilt over the pool's users. Unchanged rules cost one read.
fn set_rules_in(tx: &Transaction<'_>, pool_id: &str, rules: &[UniqueRule]) -> Result<()> {
    let mut current: Vec<(String, bool, bool)> = tx
        .prepare_cached("SELECT name, verified_only, fold FROM unique_rules WHERE pool_id = ?1")?
        .query_map([pool_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut wanted: Vec<(String, bool, bool)> = rules
        .iter()
        .map(|r| (r.name.to_owned(), r.verified_only, r.fold))
        .collect();
    current.sort();
    wanted.sort();
    if current == wanted {
        return Ok(());
    }
    tx.execute("DELETE FROM unique_rules WHERE pool_id = ?1", [pool_id])?;
    tx.execute("DELETE FROM unique_attrs WHERE pool_id = ?1", [pool_id])?;
    for (name, verified_only, fold) in &wanted {
        tx.execute(
            "INSERT INTO unique_rules (pool_id, name, verified_only, fold) VALUES (?1, ?2, ?3, ?4)",
            params![pool_id, name, verified_only, fold],
        )?;
    }
    let rows: Vec<_> = tx
        .prepare(&format!(
            "SELECT {COLUMNS} FROM users u WHERE u.pool_id = ?1"
        ))?
        .query_map([pool_id], read_user)?
        .collect::<rusqlite::Result<_>>()?;
    for (u, doc) in rows {
        write_unique(tx, &finish(u, &doc)?, true)?;
    }
    Ok(())
}

/// An attribute whose values identify at most one native user of a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueRule {
    pub name: &'static str,
    /// Only a verified value counts (email and phone aliases).
    pub verified_only: bool,
    /// Values compare without regard to case (stored lower-cased).
    pub fold: bool,
}

impl Store {
    /// [`set_rules_in`] in a transaction of its own.
    pub fn set_unique_rules(&self, pool_id: &str, rules: &[UniqueRule]) -> Result<()> {
        self.transaction(|tx| set_rules_in(tx, pool_id, rules))
    }

    /// The user holding `value` (already lower-cased by the caller for a folding rule) of
    /// the unique attribute `name`.
    pub fn user_holding(&self, pool_id: &str, name: &str, value: &str) -> Result<Option<UserRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM unique_attrs a JOIN users u ON u.id = a.user_id
             WHERE a.pool_id = ?1 AND a.name = ?2 AND a.value = ?3"
        ))?;
        let row = stmt
            .query_row(params![pool_id, name, value], read_user)
            .optional()?;
        row.map(|(u, doc)| finish(u, &doc)).transpose()
    }
}

impl Tx<'_> {
    /// [`set_rules_in`] inside the operation's transaction.
    pub fn set_unique_rules(&self, pool_id: &str, rules: &[UniqueRule]) -> Result<()> {
        set_rules_in(self.0, pool_id, rules)
    }
}
