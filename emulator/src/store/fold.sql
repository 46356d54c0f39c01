-- Migration 7: a uniqueness rule may compare values without regard to case (email and
-- preferred_username in a pool whose usernames are case-insensitive): `unique_attrs` then
-- holds the lower-cased value, so the database refuses every capitalisation of a taken one.
ALTER TABLE unique_rules ADD COLUMN fold INTEGER NOT NULL DEFAULT 0;
