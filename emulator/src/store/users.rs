//! Users, their indexed attributes, group memberships and refresh tokens.

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde_json::Value;

use super::query::{AttrQuery, UserQuery, query_sql};
use super::{Result, Store, StoreError};

/// Standard attributes that ListUsers can search; each value gets a row in `user_attrs`.
pub const INDEXED_ATTRIBUTES: &[&str] = &[
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
];

/// One user as stored. `attributes` are in the order Cognito returns them; `doc` is the
/// service's own per-user state (password hash, pending codes, ...), opaque to the store.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub id: i64,
    pub pool_id: String,
    pub username: String,
    pub username_key: String,
    pub sub: String,
    pub status: String,
    pub enabled: bool,
    pub created: i64,
    pub modified: i64,
    pub attributes: Vec<(String, String)>,
    pub doc: Value,
}

impl UserRow {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One page of results and the id to continue after, if there is more.
#[derive(Debug)]
pub struct Page {
    pub users: Vec<UserRow>,
    pub next_after: Option<i64>,
}

pub(super) const COLUMNS: &str = "u.id, u.pool_id, u.username, u.username_key, u.sub, u.status, u.enabled, u.created, u.modified, u.doc";

pub(super) fn read_user(r: &Row<'_>) -> rusqlite::Result<(UserRow, String)> {
    let user = UserRow {
        id: r.get(0)?,
        pool_id: r.get(1)?,
        username: r.get(2)?,
        username_key: r.get(3)?,
        sub: r.get(4)?,
        status: r.get(5)?,
        enabled: r.get(6)?,
        created: r.get(7)?,
        modified: r.get(8)?,
        attributes: Vec::new(),
        doc: Value::Null,
    };
    Ok((user, r.get(9)?))
}

/// The stored document holds `{"attributes": [[name, value], ...], "state": {...}}`.
pub(super) fn finish(mut user: UserRow, doc: &str) -> Result<UserRow> {
    let corrupt = |source| StoreError::Corrupt {
        kind: "user",
        source,
    };
    let mut v: Value = serde_json::from_str(doc).map_err(corrupt)?;
    user.attributes = serde_json::from_value(v["attributes"].take()).map_err(corrupt)?;
    user.doc = v["state"].take();
    Ok(user)
}

fn encode(user: &UserRow) -> String {
    serde_json::json!({"attributes": user.attributes, "state": user.doc}).to_string()
}

fn write_attrs(tx: &Transaction<'_>, user: &UserRow) -> Result<()> {
    tx.prepare_cached("DELETE FROM user_attrs WHERE user_id = ?1")?
        .execute([user.id])?;
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO user_attrs (pool_id, name, value, user_id) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (name, value) in &user.attributes {
        if INDEXED_ATTRIBUTES.contains(&name.as_str()) {
            insert.execute(params![user.pool_id, name, value, user.id])?;
        }
    }
    super::unique::write_unique(tx, user, false)
}

/// Write back a user inside the caller's transaction.
pub(super) fn update_in(tx: &Transaction<'_>, user: &UserRow) -> Result<()> {
    tx.prepare_cached(
        "UPDATE users SET status = ?2, enabled = ?3, modified = ?4, doc = ?5 WHERE id = ?1",
    )?
    .execute(params![
        user.id,
        user.status,
        user.enabled,
        user.modified,
        encode(user)
    ])?;
    write_attrs(tx, user)
}

pub(super) fn conflict(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, msg)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict(msg.unwrap_or_default())
        }
        e => StoreError::Sqlite(e),
    }
}

impl Store {
    /// Insert a new user; returns it with its id. `Conflict` if the username or sub is taken.
    pub fn insert_user(&self, user: UserRow) -> Result<UserRow> {
        self.insert_user_in_groups(user, &[])
    }

    /// Insert a new user and its group memberships in one transaction (a federated user and
    /// its `<poolId>_<Provider>` group): all of it lands, or none.
    pub fn insert_user_in_groups(&self, mut user: UserRow, groups: &[&str]) -> Result<UserRow> {
        self.transaction(|tx| {
            tx.prepare_cached(
                "INSERT INTO users (pool_id, username, username_key, sub, status, enabled, created, modified, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                user.pool_id, user.username, user.username_key, user.sub, user.status, user.enabled,
                user.created, user.modified, encode(&user)
            ])
            .map_err(conflict)?;
            user.id = tx.last_insert_rowid();
            write_attrs(tx, &user)?;
            let mut member = tx.prepare_cached(
                "INSERT OR IGNORE INTO memberships (pool_id, group_name, user_id) VALUES (?1, ?2, ?3)",
            )?;
            for group in groups {
                member.execute(params![user.pool_id, group, user.id])?;
            }
            Ok(user)
        })
    }

    /// Write back a user read earlier (status, attributes, state).
    pub fn update_user(&self, user: &UserRow) -> Result<()> {
        self.transaction(|tx| update_in(tx, user))
    }

    /// Write `after` only if the stored user is still `before` (its attributes and state):
    /// `false`, writing nothing, when another request changed it in between. What makes a
    /// single-use code single-use when two requests carry it at once.
    pub fn update_user_if_unchanged(&self, before: &UserRow, after: &UserRow) -> Result<bool> {
        self.transaction(|tx| {
            let stored: String =
                tx.query_row("SELECT doc FROM users WHERE id = ?1", [before.id], |r| {
                    r.get(0)
                })?;
            // Compared as JSON values: the same document whatever its members' order.
            let same = serde_json::from_str::<serde_json::Value>(&stored).ok()
                == serde_json::from_str(&encode(before)).ok();
            if !same {
                return Ok(false);
            }
            update_in(tx, after)?;
            Ok(true)
        })
    }

    /// Delete a user with everything it owned: attributes, memberships, refresh tokens, and
    /// the entities whose document names its `sub` (passkeys, links, pending ceremonies).
    pub fn delete_user(&self, user_id: i64) -> Result<()> {
        self.transaction(|tx| {
            tx.execute(
                "DELETE FROM entities WHERE (pool_id, json_extract(doc, '$.user_sub')) =
                 (SELECT pool_id, sub FROM users WHERE id = ?1)",
                [user_id],
            )?;
            tx.execute("DELETE FROM unique_attrs WHERE user_id = ?1", [user_id])?;
            tx.execute("DELETE FROM user_attrs WHERE user_id = ?1", [user_id])?;
            tx.execute("DELETE FROM memberships WHERE user_id = ?1", [user_id])?;
            tx.execute("DELETE FROM refresh_tokens WHERE user_id = ?1", [user_id])?;
            tx.execute("DELETE FROM users WHERE id = ?1", [user_id])?;
            Ok(())
        })
    }

    fn user_where(&self, clause: &str, args: impl rusqlite::Params) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {COLUMNS} FROM users u WHERE {clause} LIMIT 1");
        let row = self
            .conn()
            .prepare_cached(&sql)?
            .query_row(args, read_user)
            .optional()?;
        row.map(|(u, doc)| finish(u, &doc)).transpose()
    }

    pub fn user_by_username(&self, pool_id: &str, username_key: &str) -> Result<Option<UserRow>> {
        self.user_where(
            "u.pool_id = ?1 AND u.username_key = ?2",
            params![pool_id, username_key],
        )
    }

    pub fn user_by_sub(&self, pool_id: &str, sub: &str) -> Result<Option<UserRow>> {
        self.user_where("u.pool_id = ?1 AND u.sub = ?2", params![pool_id, sub])
    }

    pub fn user_by_id(&self, user_id: i64) -> Result<Option<UserRow>> {
        self.user_where("u.id = ?1", [user_id])
    }

    /// Users whose indexed attribute `name` equals `value` (alias and uniqueness checks).
    pub fn users_by_attribute(
        &self,
        pool_id: &str,
        name: &str,
        value: &str,
    ) -> Result<Vec<UserRow>> {
        let q = UserQuery::Attribute {
            name: name.into(),
            query: AttrQuery {
                value: value.into(),
                prefix: false,
            },
        };
        Ok(self.list_users(pool_id, &q, 0, 60)?.users)
    }

    /// One page of users matching `q`, in creation order, after user id `after`.
    pub fn list_users(
        &self,
        pool_id: &str,
        q: &UserQuery,
        after: i64,
        limit: usize,
    ) -> Result<Page> {
        let conn = self.conn();
        let fetch = limit as i64 + 1;
        let (sql, args): (String, Vec<rusqlite::types::Value>) =
            query_sql(pool_id, q, after, fetch);
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), read_user)?;
        let mut users = Vec::new();
        for row in rows {
            let (u, doc) = row?;
            users.push(finish(u, &doc)?);
        }
        let next_after = if users.len() > limit {
            users.truncate(limit);
            users.last().map(|u| u.id)
        } else {
            None
        };
        Ok(Page { users, next_after })
    }

    pub fn count_users(&self, pool_id: &str) -> Result<i64> {
        Ok(self
            .conn()
            .prepare_cached("SELECT count(*) FROM users WHERE pool_id = ?1")?
            .query_row([pool_id], |r| r.get(0))?)
    }
}

impl Store {
    pub fn add_membership(&self, pool_id: &str, group: &str, user_id: i64) -> Result<()> {
        self.conn()
            .prepare_cached("INSERT OR IGNORE INTO memberships (pool_id, group_name, user_id) VALUES (?1, ?2, ?3)")?
            .execute(params![pool_id, group, user_id])?;
        Ok(())
    }

    pub fn remove_membership(&self, pool_id: &str, group: &str, user_id: i64) -> Result<()> {
        self.conn()
            .prepare_cached(
                "DELETE FROM memberships WHERE pool_id = ?1 AND group_name = ?2 AND user_id = ?3",
            )?
            .execute(params![pool_id, group, user_id])?;
        Ok(())
    }

    pub fn delete_group_memberships(&self, pool_id: &str, group: &str) -> Result<()> {
        self.conn()
            .prepare_cached("DELETE FROM memberships WHERE pool_id = ?1 AND group_name = ?2")?
            .execute(params![pool_id, group])?;
        Ok(())
    }

    /// Names of the groups a user belongs to.
    pub fn groups_of(&self, user_id: i64) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT group_name FROM memberships WHERE user_id = ?1 ORDER BY group_name",
        )?;
        let names = stmt.query_map([user_id], |r| r.get(0))?;
        Ok(names.collect::<rusqlite::Result<_>>()?)
    }

    /// Ids of a group's members after `after`, at most `limit + 1` (to detect a next page).
    pub fn members_of(
        &self,
        pool_id: &str,
        group: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<i64>> {
        let conn = self.conn();
        // The limit written in, not bound (see `query_sql`).
        let fetch = limit + 1;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT user_id FROM memberships WHERE pool_id = ?1 AND group_name = ?2 AND user_id > ?3 ORDER BY user_id LIMIT {fetch}",
        ))?;
        let ids = stmt.query_map(params![pool_id, group, after], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(pool: &str, name: &str, email: &str) -> UserRow {
        UserRow {
            id: 0,
            pool_id: pool.into(),
            username: name.into(),
            username_key: name.into(),
            sub: format!("sub-{name}"),
            status: "CONFIRMED".into(),
            enabled: true,
            created: 1,
            modified: 1,
            attributes: vec![
                ("sub".into(), format!("sub-{name}")),
                ("email".into(), email.into()),
            ],
            doc: serde_json::json!({"k": 1}),
        }
    }

    #[test]
    fn a_conditional_update_loses_to_the_one_before_it() {
        let s = Store::in_memory().unwrap();
        let stored = s.insert_user(user("p", "ann", "ann@example.com")).unwrap();
        // Two requests read the same user; each consumes the same code.
        let (mut first, mut second) = (stored.clone(), stored.clone());
        first.doc = serde_json::json!({"k": 2});
        second.doc = serde_json::json!({"k": 3});
        assert!(s.update_user_if_unchanged(&stored, &first).unwrap());
        assert!(!s.update_user_if_unchanged(&stored, &second).unwrap());
        let now = s.user_by_username("p", "ann").unwrap().unwrap();
        assert_eq!(now.doc, serde_json::json!({"k": 2}));
        // Read again, the user can be changed.
        assert!(s.update_user_if_unchanged(&now, &second).unwrap());
    }

    fn names(page: &Page) -> Vec<&str> {
        page.users.iter().map(|u| u.username.as_str()).collect()
    }

    /// A document naming its owner, as passkeys and links do.
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Owned {
        user_sub: String,
        n: u32,
    }

    impl crate::store::Entity for Owned {
        const KIND: &'static str = "owned";
    }

    #[test]
    fn a_user_s_entities_are_found_by_owner_and_deleted_with_it() {
        let s = Store::in_memory().unwrap();
        let alice = s.insert_user(user("p", "alice", "a@x.io")).unwrap();
        s.insert_user(user("p", "bob", "b@x.io")).unwrap();
        for (key, sub, n) in [
            ("k1", "sub-alice", 1),
            ("k2", "sub-bob", 2),
            ("k3", "sub-alice", 3),
        ] {
            s.insert(
                "p",
                key,
                &Owned {
                    user_sub: sub.into(),
                    n,
                },
            )
            .unwrap();
        }
        // Another pool's entity with the same sub is not alice's.
        s.insert(
            "q",
            "k4",
            &Owned {
                user_sub: "sub-alice".into(),
                n: 4,
            },
        )
        .unwrap();
        let ns = |sub| -> Vec<u32> {
            s.owned_by::<Owned>("p", sub)
                .unwrap()
                .iter()
                .map(|o| o.n)
                .collect()
        };
        assert_eq!(ns("sub-alice"), [1, 3]);
        s.delete_user(alice.id).unwrap();
        assert_eq!(ns("sub-alice"), Vec::<u32>::new());
        assert_eq!(ns("sub-bob"), [2]);
        assert_eq!(s.owned_by::<Owned>("q", "sub-alice").unwrap().len(), 1);
    }

    #[test]
    fn users_round_trip_and_conflict() {
        let s = Store::in_memory().unwrap();
        let u = s.insert_user(user("p", "alice", "a@x.io")).unwrap();
        assert!(matches!(
            s.insert_user(user("p", "alice", "b@x.io")),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(s.user_by_username("p", "alice").unwrap().unwrap(), u);
        assert_eq!(s.user_by_sub("p", "sub-alice").unwrap().unwrap().id, u.id);
        assert_eq!(
            s.users_by_attribute("p", "email", "a@x.io").unwrap().len(),
            1
        );
        let mut changed = u.clone();
        changed.attributes[1].1 = "new@x.io".into();
        s.update_user(&changed).unwrap();
        assert!(
            s.users_by_attribute("p", "email", "a@x.io")
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            s.users_by_attribute("p", "email", "new@x.io").unwrap()[0].doc["k"],
            1
        );
    }

    #[test]
    fn a_user_and_its_groups_land_together_or_not_at_all() {
        let s = Store::in_memory().unwrap();
        let u = s
            .insert_user_in_groups(user("p", "fed", "f@x.io"), &["p_Mosaic"])
            .unwrap();
        assert_eq!(s.groups_of(u.id).unwrap(), ["p_Mosaic"]);
        let mut clash = user("p", "fed", "g@x.io");
        clash.sub = "other-sub".into();
        assert!(matches!(
            s.insert_user_in_groups(clash, &["p_Other"]),
            Err(StoreError::Conflict(_))
        ));
        assert!(
            s.members_of("p", "p_Other", 0, 10).unwrap().is_empty(),
            "no membership without its user"
        );
    }

    #[test]
    fn list_pages_and_prefixes() {
        let s = Store::in_memory().unwrap();
        for (n, e) in [
            ("a", "ann@x.io"),
            ("b", "bob@x.io"),
            ("c", "anna@y.io"),
            ("d", "zed@x.io"),
            ("e", "ann\u{10FFFF}z@x.io"),
            ("f", "\u{10FFFF}\u{10FFFF}@x.io"),
            ("g", "anO@x.io"),
        ] {
            s.insert_user(user("p", n, e)).unwrap();
        }
        s.insert_user(user("other", "a", "ann@x.io")).unwrap();
        let all = s.list_users("p", &UserQuery::All, 0, 3).unwrap();
        assert_eq!(names(&all), ["a", "b", "c"]);
        let rest = s
            .list_users("p", &UserQuery::All, all.next_after.unwrap(), 4)
            .unwrap();
        assert_eq!(
            (names(&rest), rest.next_after),
            (vec!["d", "e", "f", "g"], None)
        );
        let q = UserQuery::Attribute {
            name: "email".into(),
            query: AttrQuery {
                value: "ann".into(),
                prefix: true,
            },
        };
        assert_eq!(
            names(&s.list_users("p", &q, 0, 60).unwrap()),
            ["a", "c", "e"]
        );
        for (prefix, expect) in [
            ("ann\u{10FFFF}", vec!["e"]),
            ("\u{10FFFF}", vec!["f"]),
            ("an", vec!["a", "c", "e", "g"]),
        ] {
            let q = UserQuery::Attribute {
                name: "email".into(),
                query: AttrQuery {
                    value: prefix.into(),
                    prefix: true,
                },
            };
            assert_eq!(
                names(&s.list_users("p", &q, 0, 60).unwrap()),
                expect,
                "{prefix:?}"
            );
        }
        let q = UserQuery::UsernameKey(AttrQuery {
            value: "b".into(),
            prefix: false,
        });
        assert_eq!(names(&s.list_users("p", &q, 0, 60).unwrap()), ["b"]);
        assert_eq!(
            names(
                &s.list_users("p", &UserQuery::Enabled(vec![false]), 0, 60)
                    .unwrap()
            ),
            Vec::<&str>::new()
        );
    }
}
