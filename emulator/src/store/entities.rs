//! JSON-document entities (pools, clients, identity providers, groups, ...) keyed by kind,
//! pool and key.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Result, Store, StoreError, Tx};

/// A type stored as a document in the `entities` table.
pub trait Entity: Serialize + DeserializeOwned {
    const KIND: &'static str;
}

fn decode<E: Entity>(doc: &str) -> Result<E> {
    serde_json::from_str(doc).map_err(|source| StoreError::Corrupt {
        kind: E::KIND,
        source,
    })
}

fn encode<E: Entity>(entity: &E) -> Result<String> {
    serde_json::to_string(entity).map_err(|source| StoreError::Corrupt {
        kind: E::KIND,
        source,
    })
}

fn put_in(conn: &Connection, kind: &str, pool_id: &str, key: &str, doc: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO entities (kind, pool_id, key, doc) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![kind, pool_id, key, doc])?;
    Ok(())
}

fn insert_in(conn: &Connection, kind: &str, pool_id: &str, key: &str, doc: &str) -> Result<()> {
    let done = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO entities (kind, pool_id, key, doc) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![kind, pool_id, key, doc])?;
    if done == 0 {
        return Err(StoreError::Conflict(format!("{kind} {key}")));
    }
    Ok(())
}

fn delete_in<E: Entity>(conn: &Connection, pool_id: &str, key: &str) -> Result<bool> {
    let n = conn
        .prepare_cached("DELETE FROM entities WHERE kind = ?1 AND pool_id = ?2 AND key = ?3")?
        .execute(params![E::KIND, pool_id, key])?;
    Ok(n > 0)
}

impl Tx<'_> {
    /// [`Store::put`] inside the transaction.
    pub fn put<E: Entity>(&self, pool_id: &str, key: &str, entity: &E) -> Result<()> {
        put_in(self.0, E::KIND, pool_id, key, &encode(entity)?)
    }

    /// [`Store::insert`] inside the transaction.
    pub fn insert<E: Entity>(&self, pool_id: &str, key: &str, entity: &E) -> Result<()> {
        insert_in(self.0, E::KIND, pool_id, key, &encode(entity)?)
    }
}

impl Store {
    /// Insert or replace.
    pub fn put<E: Entity>(&self, pool_id: &str, key: &str, entity: &E) -> Result<()> {
        put_in(&self.conn(), E::KIND, pool_id, key, &encode(entity)?)
    }

    /// Insert; `Conflict` if the key exists.
    pub fn insert<E: Entity>(&self, pool_id: &str, key: &str, entity: &E) -> Result<()> {
        insert_in(&self.conn(), E::KIND, pool_id, key, &encode(entity)?)
    }

    /// Insert an entity and write back a user in one transaction (a link and the identities of
    /// the user it names): both land, or neither. `Conflict` if the key exists.
    pub fn insert_with_user<E: Entity>(
        &self,
        pool_id: &str,
        key: &str,
        entity: &E,
        user: &super::UserRow,
    ) -> Result<()> {
        self.transaction(|tx| {
            insert_in(tx, E::KIND, pool_id, key, &encode(entity)?)?;
            super::users::update_in(tx, user)
        })
    }

    /// Delete an entity and write back a user in one transaction.
    pub fn delete_with_user<E: Entity>(
        &self,
        pool_id: &str,
        key: &str,
        user: Option<&super::UserRow>,
    ) -> Result<bool> {
        self.transaction(|tx| {
            if let Some(user) = user {
                super::users::update_in(tx, user)?;
            }
            delete_in::<E>(tx, pool_id, key)
        })
    }

    pub fn get<E: Entity>(&self, pool_id: &str, key: &str) -> Result<Option<E>> {
        let doc: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT doc FROM entities WHERE kind = ?1 AND pool_id = ?2 AND key = ?3",
            )?
            .query_row(params![E::KIND, pool_id, key], |r| r.get(0))
            .optional()?;
        doc.as_deref().map(decode).transpose()
    }

    /// Find an entity by key alone (client ids and domains are unique across pools).
    pub fn find<E: Entity>(&self, key: &str) -> Result<Option<(String, E)>> {
        let row: Option<(String, String)> = self
            .conn()
            .prepare_cached(
                "SELECT pool_id, doc FROM entities WHERE kind = ?1 AND key = ?2 LIMIT 1",
            )?
            .query_row(params![E::KIND, key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(pool, doc)| Ok((pool, decode(&doc)?))).transpose()
    }

    /// All entities of a kind in a pool (or in every pool when `pool_id` is `None`), oldest first.
    pub fn list<E: Entity>(&self, pool_id: Option<&str>) -> Result<Vec<E>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT doc FROM entities WHERE kind = ?1 AND (?2 IS NULL OR pool_id = ?2) ORDER BY rowid",
        )?;
        let docs = stmt.query_map(params![E::KIND, pool_id], |r| r.get::<_, String>(0))?;
        docs.map(|d| decode(&d?)).collect()
    }

    /// The entities of a kind that belong to the user `sub` (their document's `user_sub`),
    /// oldest first, through the owner index.
    pub fn owned_by<E: Entity>(&self, pool_id: &str, sub: &str) -> Result<Vec<E>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT doc FROM entities WHERE pool_id = ?1 AND json_extract(doc, '$.user_sub') = ?2
             AND kind = ?3 ORDER BY rowid",
        )?;
        let docs = stmt.query_map(params![pool_id, sub, E::KIND], |r| r.get::<_, String>(0))?;
        docs.map(|d| decode(&d?)).collect()
    }

    /// Take a single-use entity (a code, a pending flow, a sign-in session): it is read and
    /// deleted in one statement, so of two concurrent takers exactly one gets it.
    pub fn take<E: Entity>(&self, pool_id: &str, key: &str) -> Result<Option<E>> {
        let doc: Option<String> = self
            .conn()
            .prepare_cached(
                "DELETE FROM entities WHERE kind = ?1 AND pool_id = ?2 AND key = ?3 RETURNING doc",
            )?
            .query_row(params![E::KIND, pool_id, key], |r| r.get(0))
            .optional()?;
        doc.as_deref().map(decode).transpose()
    }

    /// [`Store::take`] by key alone (authorization codes are unique across pools).
    pub fn take_by_key<E: Entity>(&self, key: &str) -> Result<Option<(String, E)>> {
        let row: Option<(String, String)> = self
            .conn()
            .prepare_cached(
                "DELETE FROM entities WHERE kind = ?1 AND key = ?2 RETURNING pool_id, doc",
            )?
            .query_row(params![E::KIND, key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(pool, doc)| Ok((pool, decode(&doc)?))).transpose()
    }

    pub fn delete<E: Entity>(&self, pool_id: &str, key: &str) -> Result<bool> {
        delete_in::<E>(&self.conn(), pool_id, key)
    }

    /// Delete a pool and everything in it.
    pub fn delete_pool(&self, pool_id: &str) -> Result<()> {
        self.transaction(|tx| {
            tx.execute("DELETE FROM entities WHERE pool_id = ?1", [pool_id])?;
            tx.execute("DELETE FROM user_attrs WHERE pool_id = ?1", [pool_id])?;
            tx.execute("DELETE FROM unique_attrs WHERE pool_id = ?1", [pool_id])?;
            tx.execute("DELETE FROM unique_rules WHERE pool_id = ?1", [pool_id])?;
            tx.execute("DELETE FROM memberships WHERE pool_id = ?1", [pool_id])?;
            tx.execute("DELETE FROM refresh_tokens WHERE pool_id = ?1", [pool_id])?;
            tx.execute("DELETE FROM users WHERE pool_id = ?1", [pool_id])?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Thing {
        n: u32,
    }
    impl Entity for Thing {
        const KIND: &'static str = "thing";
    }

    #[test]
    fn put_get_find_list_delete() {
        let s = Store::in_memory().unwrap();
        s.insert("p1", "a", &Thing { n: 1 }).unwrap();
        assert!(matches!(
            s.insert("p1", "a", &Thing { n: 9 }),
            Err(StoreError::Conflict(_))
        ));
        s.put("p2", "b", &Thing { n: 2 }).unwrap();
        assert_eq!(s.get::<Thing>("p1", "a").unwrap(), Some(Thing { n: 1 }));
        assert_eq!(
            s.find::<Thing>("b").unwrap(),
            Some(("p2".into(), Thing { n: 2 }))
        );
        assert_eq!(s.list::<Thing>(None).unwrap().len(), 2);
        assert_eq!(s.list::<Thing>(Some("p1")).unwrap(), vec![Thing { n: 1 }]);
        assert!(s.delete::<Thing>("p1", "a").unwrap());
        assert_eq!(s.get::<Thing>("p1", "a").unwrap(), None);
    }

    #[test]
    fn an_operation_whose_last_write_fails_leaves_nothing() {
        let s = Store::in_memory().unwrap();
        s.insert("p", "taken", &Thing { n: 0 }).unwrap();
        let failed = s.write(|tx| {
            tx.insert("p", "new", &Thing { n: 1 })?;
            tx.put("p", "other", &Thing { n: 2 })?;
            let rule = crate::store::UniqueRule {
                name: "email",
                verified_only: true,
                fold: false,
            };
            tx.set_unique_rules("p", &[rule])?;
            tx.insert("p", "taken", &Thing { n: 3 })
        });
        assert!(matches!(failed, Err(StoreError::Conflict(_))));
        assert_eq!(s.list::<Thing>(Some("p")).unwrap(), vec![Thing { n: 0 }]);
        let rules: i64 = s
            .conn()
            .query_row("SELECT count(*) FROM unique_rules", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rules, 0);
    }
}
