-- Migration 1: the user-pool state. Entities that are read whole and rarely listed at scale
-- (pools, clients, identity providers, groups, resource servers, domains, signing keys) are JSON
-- documents in one table; users, their searchable attributes and memberships have their own
-- tables and indexes, so ListUsers and lookups cost the same at 1k and 1M users.
CREATE TABLE entities (
    kind    TEXT NOT NULL,
    pool_id TEXT NOT NULL,
    key     TEXT NOT NULL,
    doc     TEXT NOT NULL,
    PRIMARY KEY (kind, pool_id, key)
);
CREATE INDEX entities_by_key ON entities (kind, key);

CREATE TABLE users (
    id           INTEGER PRIMARY KEY,
    pool_id      TEXT NOT NULL,
    username     TEXT NOT NULL,
    -- username as compared: lower-cased when the pool is case-insensitive
    username_key TEXT NOT NULL,
    sub          TEXT NOT NULL,
    status       TEXT NOT NULL,
    enabled      INTEGER NOT NULL,
    created      INTEGER NOT NULL,
    modified     INTEGER NOT NULL,
    doc          TEXT NOT NULL
);
CREATE UNIQUE INDEX users_by_name ON users (pool_id, username_key);
CREATE UNIQUE INDEX users_by_sub ON users (pool_id, sub);
-- creation order within a pool: unfiltered ListUsers pages walk this index, no sort
CREATE INDEX users_by_pool ON users (pool_id, id);
CREATE INDEX users_by_status ON users (pool_id, status, id);
CREATE INDEX users_by_enabled ON users (pool_id, enabled, id);

-- Searchable standard attributes (email, phone_number, name, ...), one row per value.
CREATE TABLE user_attrs (
    pool_id TEXT NOT NULL,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    PRIMARY KEY (pool_id, name, value, user_id)
) WITHOUT ROWID;
CREATE INDEX user_attrs_by_user ON user_attrs (user_id);

CREATE TABLE memberships (
    pool_id    TEXT NOT NULL,
    group_name TEXT NOT NULL,
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (pool_id, group_name, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    pool_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    user_id    INTEGER NOT NULL,
    origin_jti TEXT NOT NULL,
    auth_time  INTEGER NOT NULL,
    expires    INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);

-- origin_jti of sessions whose access and id tokens were revoked (RevokeToken, GlobalSignOut).
CREATE TABLE revoked_origins (
    origin_jti TEXT PRIMARY KEY,
    revoked_at INTEGER NOT NULL
);
