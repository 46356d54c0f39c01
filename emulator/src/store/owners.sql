-- Migration 6: entities that belong to a user (passkeys, pending registrations, links, ...)
-- carry the user's `sub` in their document; this index finds them by owner, so listing a
-- user's passkeys costs the same with 1 or 1M passkeys in the pool, and deleting a user
-- deletes what it owned.
CREATE INDEX entities_by_owner ON entities (pool_id, json_extract(doc, '$.user_sub'), kind);
