-- Staff sign-in sessions (issue 9; as migrations/sqlite/0005). Every sign-in starts a session; its access and refresh
-- tokens carry its id. A refresh token presented after it was rotated revokes the session
-- and every token of it. Staff tokens issued before this migration have no session: their
-- access tokens keep working until they expire (15 min), and a refresh with such a refresh
-- token starts a session for it.
CREATE TABLE sessions (
    id              TEXT PRIMARY KEY NOT NULL,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id),
    user_id         TEXT NOT NULL REFERENCES users(id),
    created_at      BIGINT NOT NULL,
    -- When the last refresh token was issued, and when it expires (the session ends then).
    refreshed_at    BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    revoked_at      BIGINT,
    -- 'logout' or 'refresh_token_reused'.
    revoked_reason  TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

ALTER TABLE tokens ADD COLUMN session_id TEXT REFERENCES sessions(id);
CREATE INDEX tokens_session ON tokens(session_id) WHERE session_id IS NOT NULL;

-- Data migrations done in code (once each), e.g. recomputing campaign name keys when the
-- key's definition changes.
CREATE TABLE data_migrations (
    name        TEXT PRIMARY KEY NOT NULL,
    applied_at  BIGINT NOT NULL,
    -- What it did, as JSON (counts, collisions).
    report      TEXT NOT NULL
);
