//! ListUsers' queries: which users a filter wants (`UserQuery`) and the one indexed SQL
//! statement that answers it, prefix ranges included.

use super::users::COLUMNS;

/// Which users ListUsers wants: answered from an index in every case.
#[derive(Debug, Clone, PartialEq)]
pub enum UserQuery {
    All,
    UsernameKey(AttrQuery),
    Sub(AttrQuery),
    /// `cognito:user_status`, compared upper-cased.
    Status(AttrQuery),
    /// `status`: the set of `enabled` values that match.
    Enabled(Vec<bool>),
    /// An indexed standard attribute.
    Attribute {
        name: String,
        query: AttrQuery,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttrQuery {
    pub value: String,
    pub prefix: bool,
}

/// The exclusive upper bound of a prefix range: `p` with its last character raised by one
/// (code point order is UTF-8 byte order, SQLite's BINARY collation), after dropping trailing
/// U+10FFFF, which has no successor. `None` when `p` is only U+10FFFF (or empty): no bound.
fn prefix_end(p: &str) -> Option<String> {
    let trimmed = p.trim_end_matches('\u{10FFFF}');
    let last = trimmed.chars().next_back()?;
    let next = match last as u32 + 1 {
        0xD800 => '\u{E000}',
        n => char::from_u32(n)?,
    };
    Some(format!(
        "{}{next}",
        &trimmed[..trimmed.len() - last.len_utf8()]
    ))
}

pub(super) fn query_sql(
    pool_id: &str,
    q: &UserQuery,
    after: i64,
    fetch: i64,
) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value as V;
    // The limit is written into the statement, not bound: SQLite recompiles a statement whose
    // LIMIT parameter is bound again (its value may change the plan), so a bound limit meant
    // a full parse and plan on every call. It is an integer, at most 61 distinct statements.
    let mut args = vec![V::Text(pool_id.into()), V::Integer(after)];
    let mut range = |column: &str, a: &AttrQuery| {
        args.push(V::Text(a.value.clone()));
        if a.prefix {
            match prefix_end(&a.value) {
                Some(end) => {
                    args.push(V::Text(end));
                    format!("{column} >= ?3 AND {column} < ?4")
                }
                None => {
                    // No finite bound: the prefix itself is compared (a range scan to the end).
                    args.push(V::Text(a.value.clone()));
                    format!("{column} >= ?3 AND substr({column}, 1, length(?4)) = ?4")
                }
            }
        } else {
            format!("{column} = ?3")
        }
    };
    let (from, cond, order) = match q {
        UserQuery::All => (
            "users u".to_owned(),
            "u.pool_id = ?1 AND u.id > ?2".to_owned(),
            "u.id",
        ),
        UserQuery::UsernameKey(a) => (
            "users u".into(),
            format!(
                "u.pool_id = ?1 AND u.id > ?2 AND {}",
                range("u.username_key", a)
            ),
            "u.id",
        ),
        UserQuery::Sub(a) => (
            "users u".into(),
            format!("u.pool_id = ?1 AND u.id > ?2 AND {}", range("u.sub", a)),
            "u.id",
        ),
        UserQuery::Status(a) => (
            "users u".into(),
            format!("u.pool_id = ?1 AND u.id > ?2 AND {}", range("u.status", a)),
            "u.id",
        ),
        UserQuery::Enabled(values) => {
            let set: Vec<&str> = values.iter().map(|b| if *b { "1" } else { "0" }).collect();
            let set = if set.is_empty() {
                "-1".to_owned()
            } else {
                set.join(",")
            };
            (
                "users u".into(),
                format!("u.pool_id = ?1 AND u.id > ?2 AND u.enabled IN ({set})"),
                "u.id",
            )
        }
        UserQuery::Attribute { name, query } => {
            let cond = range("a.value", query);
            args.push(V::Text(name.clone()));
            let name_arg = if query.prefix { "?5" } else { "?4" };
            (
                "user_attrs a JOIN users u ON u.id = a.user_id".into(),
                format!("a.pool_id = ?1 AND a.name = {name_arg} AND {cond} AND a.user_id > ?2"),
                "a.user_id",
            )
        }
    };
    (
        format!("SELECT {COLUMNS} FROM {from} WHERE {cond} ORDER BY {order} LIMIT {fetch}"),
        args,
    )
}
