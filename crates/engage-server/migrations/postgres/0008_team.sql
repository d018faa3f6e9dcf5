-- A team in one workspace (issue 13; as migrations/sqlite/0008): roles, deactivation,
-- invitations, the append-only audit log, sign-in throttling, and what the sessions list shows.

-- Accounts made before roles existed could do everything: they stay admins.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'editor', 'viewer'));
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;

-- The device (from the User-Agent), the address, and the last use of a sign-in session.
ALTER TABLE sessions ADD COLUMN device TEXT;
ALTER TABLE sessions ADD COLUMN address TEXT;
ALTER TABLE sessions ADD COLUMN last_used_at BIGINT;

-- One-time codes: an invitation (user_id NULL: the account is created when accepted) or a
-- password reset of an existing account (user_id set). Single use, 72 hours.
CREATE TABLE invitations (
    id            TEXT PRIMARY KEY NOT NULL,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    email         TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    user_id       TEXT REFERENCES users(id),
    -- SHA-256 of the code.
    code_hash     BYTEA NOT NULL UNIQUE,
    created_by    TEXT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT
);
CREATE INDEX invitations_workspace ON invitations(workspace_id, created_at);

-- Who did what, when, from where; for changes the values before and after (JSON).
-- Append-only: nothing in the product updates or deletes a row, and this trigger refuses it.
-- workspace_id is NULL for a failed sign-in with an unknown email.
CREATE TABLE audit_log (
    id                   TEXT PRIMARY KEY NOT NULL,
    workspace_id         TEXT,
    at                   BIGINT NOT NULL,
    actor_user_id        TEXT,
    actor_api_client_id  TEXT,
    -- The actor's email (or client name) at the time.
    actor_label          TEXT NOT NULL,
    action               TEXT NOT NULL,
    campaign_id          TEXT,
    -- What it was done to, in words (a campaign's name, a colleague's email).
    target               TEXT,
    address              TEXT,
    before_value         TEXT,
    after_value          TEXT
);
CREATE INDEX audit_log_workspace ON audit_log(workspace_id, at, id);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Failed sign-ins per key ('account:<email>' or 'address:<ip>') within the current window.
CREATE TABLE sign_in_failures (
    throttle_key   TEXT PRIMARY KEY NOT NULL,
    failures       INTEGER NOT NULL,
    first_at       BIGINT NOT NULL,
    blocked_until  BIGINT NOT NULL
);
