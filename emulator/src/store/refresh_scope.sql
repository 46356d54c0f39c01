-- Migration 3: a refresh token remembers the scope it was granted, so refreshed access tokens
-- carry the same scope (not the client's whole allowed set).
ALTER TABLE refresh_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT '';
