-- Migration 2: the passwordless IdP's users and their passkeys. Identifiers are unique per
-- tenant; a credential id belongs to one user across the whole IdP (WebAuthn L3 7.1 step 26).
-- Short-lived flow state (interactions, codes, tickets, sessions, tokens) lives in `entities`.
CREATE TABLE idp_users (
    sub            TEXT PRIMARY KEY,
    tenant         TEXT NOT NULL,
    email          TEXT,
    email_verified INTEGER NOT NULL DEFAULT 0,
    phone          TEXT,
    phone_verified INTEGER NOT NULL DEFAULT 0,
    created_ms     INTEGER NOT NULL
);
CREATE UNIQUE INDEX idp_users_by_email ON idp_users (tenant, email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX idp_users_by_phone ON idp_users (tenant, phone) WHERE phone IS NOT NULL;

CREATE TABLE idp_credentials (
    id           TEXT PRIMARY KEY,
    sub          TEXT NOT NULL REFERENCES idp_users (sub) ON DELETE CASCADE,
    record       TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    last_used_ms INTEGER
);
CREATE INDEX idp_credentials_by_sub ON idp_credentials (sub);
