//! Sessions: refresh tokens (stored by the hash of their value) and revoked sessions
//! (`origin_jti`), which invalidate the access and ID tokens issued under them.

use rusqlite::{OptionalExtension, params};

use super::{Result, Store};

/// A stored refresh token (looked up by the SHA-256 of its value).
#[derive(Debug, Clone)]
pub struct RefreshRow {
    pub pool_id: String,
    pub client_id: String,
    pub user_id: i64,
    pub origin_jti: String,
    pub auth_time: i64,
    pub expires: i64,
    pub revoked: bool,
    /// The scope granted at sign-in, kept by every refresh.
    pub scope: String,
}

impl Store {
    pub fn insert_refresh(&self, token_hash: &str, r: &RefreshRow) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO refresh_tokens (token_hash, pool_id, client_id, user_id, origin_jti, auth_time, expires, revoked, scope)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![token_hash, r.pool_id, r.client_id, r.user_id, r.origin_jti, r.auth_time, r.expires, r.revoked, r.scope])?;
        Ok(())
    }

    pub fn refresh(&self, token_hash: &str) -> Result<Option<RefreshRow>> {
        let row = self
            .conn()
            .prepare_cached(
                "SELECT pool_id, client_id, user_id, origin_jti, auth_time, expires, revoked, scope FROM refresh_tokens WHERE token_hash = ?1",
            )?
            .query_row([token_hash], |r| {
                Ok(RefreshRow {
                    pool_id: r.get(0)?,
                    client_id: r.get(1)?,
                    user_id: r.get(2)?,
                    origin_jti: r.get(3)?,
                    auth_time: r.get(4)?,
                    expires: r.get(5)?,
                    revoked: r.get(6)?,
                    scope: r.get(7)?,
                })
            })
            .optional()?;
        Ok(row)
    }

    /// Replace a refresh token by a new one of the same session (refresh-token rotation):
    /// the old one stops working. `false` when the old one was already used or revoked.
    pub fn rotate_refresh(&self, old_hash: &str, new_hash: &str, r: &RefreshRow) -> Result<bool> {
        self.transaction(|tx| {
            let changed = tx.execute(
                "UPDATE refresh_tokens SET revoked = 1 WHERE token_hash = ?1 AND revoked = 0",
                [old_hash],
            )?;
            if changed == 0 {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO refresh_tokens (token_hash, pool_id, client_id, user_id, origin_jti, auth_time, expires, revoked, scope)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8)",
                params![new_hash, r.pool_id, r.client_id, r.user_id, r.origin_jti, r.auth_time, r.expires, r.scope],
            )?;
            Ok(true)
        })
    }

    /// Revoke one session (RevokeToken): its refresh token and every token of its origin.
    pub fn revoke_origin(&self, origin_jti: &str, now: i64) -> Result<()> {
        self.transaction(|tx| {
            tx.execute(
                "UPDATE refresh_tokens SET revoked = 1 WHERE origin_jti = ?1",
                [origin_jti],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO revoked_origins (origin_jti, revoked_at) VALUES (?1, ?2)",
                params![origin_jti, now],
            )?;
            Ok(())
        })
    }

    /// Revoke every session of a user (GlobalSignOut, AdminUserGlobalSignOut).
    pub fn revoke_user_sessions(&self, user_id: i64, now: i64) -> Result<()> {
        self.transaction(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO revoked_origins (origin_jti, revoked_at) SELECT origin_jti, ?2 FROM refresh_tokens WHERE user_id = ?1",
                params![user_id, now],
            )?;
            tx.execute("UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?1", [user_id])?;
            Ok(())
        })
    }

    pub fn origin_revoked(&self, origin_jti: &str) -> Result<bool> {
        let hit: Option<i64> = self
            .conn()
            .prepare_cached("SELECT 1 FROM revoked_origins WHERE origin_jti = ?1")?
            .query_row([origin_jti], |r| r.get(0))
            .optional()?;
        Ok(hit.is_some())
    }
}
