-- Migration 4: facts about the database itself, kept across the control plane's reset.
-- `starts`: how many times a server opened it (each start draws its own random stream).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
