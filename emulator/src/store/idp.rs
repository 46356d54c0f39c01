//! The IdP's durable rows: users (identifier unique per tenant) and their passkeys, each a
//! `CredentialRecord` JSON document keyed by its base64url credential id.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdpUserRow {
    pub sub: String,
    pub tenant: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub phone: Option<String>,
    pub phone_verified: bool,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdpCredentialRow {
    /// base64url credential id.
    pub id: String,
    pub sub: String,
    /// The `CredentialRecord` JSON.
    pub record: String,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
}

const USER_COLUMNS: &str = "sub, tenant, email, email_verified, phone, phone_verified, created_ms";

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IdpUserRow> {
    Ok(IdpUserRow {
        sub: r.get(0)?,
        tenant: r.get(1)?,
        email: r.get(2)?,
        email_verified: r.get(3)?,
        phone: r.get(4)?,
        phone_verified: r.get(5)?,
        created_ms: r.get(6)?,
    })
}

fn credential_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IdpCredentialRow> {
    Ok(IdpCredentialRow {
        id: r.get(0)?,
        sub: r.get(1)?,
        record: r.get(2)?,
        created_ms: r.get(3)?,
        last_used_ms: r.get(4)?,
    })
}

fn conflict(e: rusqlite::Error, what: String) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict(what)
        }
        e => StoreError::Sqlite(e),
    }
}

impl Store {
    pub fn idp_insert_user(&self, user: &IdpUserRow) -> Result<()> {
        self.conn()
            .prepare_cached(&format!(
                "INSERT INTO idp_users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            ))?
            .execute(params![
                user.sub,
                user.tenant,
                user.email,
                user.email_verified,
                user.phone,
                user.phone_verified,
                user.created_ms
            ])
            .map_err(|e| conflict(e, format!("idp user {}", user.sub)))?;
        Ok(())
    }

    /// The user of `tenant` whose `email` (or `phone`) equals `value`.
    pub fn idp_user_by_identifier(
        &self,
        tenant: &str,
        phone: bool,
        value: &str,
    ) -> Result<Option<IdpUserRow>> {
        let column = if phone { "phone" } else { "email" };
        let sql =
            format!("SELECT {USER_COLUMNS} FROM idp_users WHERE tenant = ?1 AND {column} = ?2");
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row(params![tenant, value], user_row)
            .optional()?)
    }

    pub fn idp_user(&self, sub: &str) -> Result<Option<IdpUserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM idp_users WHERE sub = ?1");
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row([sub], user_row)
            .optional()?)
    }

    /// Marks the identifier verified (after an OTP).
    pub fn idp_mark_verified(&self, sub: &str, phone: bool) -> Result<()> {
        let column = if phone {
            "phone_verified"
        } else {
            "email_verified"
        };
        self.conn().execute(
            &format!("UPDATE idp_users SET {column} = 1 WHERE sub = ?1"),
            [sub],
        )?;
        Ok(())
    }

    /// Users of a tenant (or all), oldest first.
    pub fn idp_users(&self, tenant: Option<&str>) -> Result<Vec<IdpUserRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM idp_users WHERE ?1 IS NULL OR tenant = ?1 ORDER BY created_ms, sub"
        ))?;
        let rows = stmt.query_map([tenant], user_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Adds a passkey; `Conflict` when the credential id is registered already (to anyone).
    pub fn idp_insert_credential(&self, row: &IdpCredentialRow) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO idp_credentials (id, sub, record, created_ms, last_used_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                row.id,
                row.sub,
                row.record,
                row.created_ms,
                row.last_used_ms
            ])
            .map_err(|e| conflict(e, format!("credential {}", row.id)))?;
        Ok(())
    }

    pub fn idp_credential(&self, id: &str) -> Result<Option<IdpCredentialRow>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT id, sub, record, created_ms, last_used_ms FROM idp_credentials WHERE id = ?1",
            )?
            .query_row([id], credential_row)
            .optional()?)
    }

    pub fn idp_credentials_of(&self, sub: &str) -> Result<Vec<IdpCredentialRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, sub, record, created_ms, last_used_ms FROM idp_credentials
             WHERE sub = ?1 ORDER BY created_ms, id",
        )?;
        let rows = stmt.query_map([sub], credential_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Stores the record updated by an authentication (counter, BS, uvInitialized).
    pub fn idp_update_credential(&self, id: &str, record: &str, used_ms: i64) -> Result<()> {
        self.conn()
            .prepare_cached(
                "UPDATE idp_credentials SET record = ?2, last_used_ms = ?3 WHERE id = ?1",
            )?
            .execute(params![id, record, used_ms])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(sub: &str, email: &str) -> IdpUserRow {
        IdpUserRow {
            sub: sub.into(),
            tenant: "t1".into(),
            email: Some(email.into()),
            email_verified: false,
            phone: None,
            phone_verified: false,
            created_ms: 1,
        }
    }

    #[test]
    fn identifiers_and_credential_ids_are_unique() {
        let s = Store::in_memory().unwrap();
        s.idp_insert_user(&user("a", "a@x.test")).unwrap();
        assert!(matches!(
            s.idp_insert_user(&user("b", "a@x.test")),
            Err(StoreError::Conflict(_))
        ));
        s.idp_insert_user(&user("b", "b@x.test")).unwrap();
        let cred = |sub: &str| IdpCredentialRow {
            id: "c1".into(),
            sub: sub.into(),
            record: "{}".into(),
            created_ms: 2,
            last_used_ms: None,
        };
        s.idp_insert_credential(&cred("a")).unwrap();
        assert!(matches!(
            s.idp_insert_credential(&cred("b")),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(s.idp_credentials_of("a").unwrap().len(), 1);
        let found = s.idp_user_by_identifier("t1", false, "b@x.test").unwrap();
        assert_eq!(found.map(|u| u.sub), Some("b".to_owned()));
        s.idp_mark_verified("b", false).unwrap();
        assert!(s.idp_user("b").unwrap().unwrap().email_verified);
    }
}
