-- Migration 5: attribute values that identify at most one native user of a pool (a username
-- attribute always; an email or phone alias once verified; preferred_username as an alias).
-- The rules come from the pool's settings; `unique_attrs` is maintained in the transaction
-- of every user write, so concurrent sign-ups cannot both take one email.
CREATE TABLE unique_rules (
    pool_id       TEXT NOT NULL,
    name          TEXT NOT NULL,
    verified_only INTEGER NOT NULL,
    PRIMARY KEY (pool_id, name)
) WITHOUT ROWID;

CREATE TABLE unique_attrs (
    pool_id TEXT NOT NULL,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    PRIMARY KEY (pool_id, name, value)
) WITHOUT ROWID;
CREATE INDEX unique_attrs_by_user ON unique_attrs (user_id);
