-- Engage schema (SQLite). Identifiers are UUID strings; times are Unix milliseconds (UTC).

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY NOT NULL,
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
    email          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email ON users(email);

CREATE TABLE api_clients (
    id                 TEXT PRIMARY KEY NOT NULL,
    workspace_id       TEXT NOT NULL REFERENCES workspaces(id),
    name               TEXT NOT NULL,
    client_id          TEXT NOT NULL UNIQUE,
    -- SHA-256 of the secret, for verification (constant-time compare).
    secret_hash        BLOB NOT NULL,
    -- ChaCha20-Poly1305 nonce (12 bytes) followed by the ciphertext, so staff can copy it again.
    secret_encrypted   BLOB NOT NULL,
    created_at         INTEGER NOT NULL
);
CREATE INDEX api_clients_workspace ON api_clients(workspace_id, created_at);

-- Opaque bearer tokens, stored as SHA-256 hashes.
CREATE TABLE tokens (
    token_hash     BLOB PRIMARY KEY NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('staff_access', 'staff_refresh', 'client_access')),
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
    user_id        TEXT REFERENCES users(id),
    api_client_id  TEXT REFERENCES api_clients(id),
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER,
    created_at     INTEGER NOT NULL,
    CHECK ((kind = 'client_access') = (api_client_id IS NOT NULL)),
    CHECK ((kind = 'client_access') = (user_id IS NULL))
) WITHOUT ROWID;
CREATE INDEX tokens_expiry ON tokens(expires_at);

CREATE TABLE senders (
    id            TEXT PRIMARY KEY NOT NULL,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'inactive')),
    provider      TEXT NOT NULL CHECK (provider IN ('sandbox', 'whatsapp_cloud')),
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX senders_phone ON senders(workspace_id, phone);

CREATE TABLE templates (
    id            TEXT PRIMARY KEY NOT NULL,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    language      TEXT NOT NULL,
    category      TEXT NOT NULL CHECK (category IN ('UTILITY', 'MARKETING', 'AUTHENTICATION')),
    status        TEXT NOT NULL CHECK (status IN ('APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED')),
    -- engage_core::wire::TemplateComponents / Vec<TemplateVariable> as JSON.
    components    TEXT NOT NULL,
    variables     TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX templates_name_language ON templates(workspace_id, name, language);

CREATE TABLE campaigns (
    id            TEXT PRIMARY KEY NOT NULL,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    -- engage_core::CampaignName::key(): trimmed, NFKC-normalised, case-folded.
    name_key      TEXT NOT NULL,
    type          TEXT NOT NULL CHECK (type IN ('recurrent')),
    status        TEXT NOT NULL CHECK (status IN ('active', 'inactive')),
    sender_id     TEXT NOT NULL REFERENCES senders(id),
    template_id   TEXT NOT NULL REFERENCES templates(id),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX campaigns_name_key ON campaigns(workspace_id, name_key);

-- The durable delivery queue. Ids are UUIDv7 (time ordered), so `ORDER BY id DESC` is newest first.
CREATE TABLE messages (
    id                    TEXT PRIMARY KEY NOT NULL,
    workspace_id          TEXT NOT NULL REFERENCES workspaces(id),
    campaign_id           TEXT NOT NULL REFERENCES campaigns(id),
    sender_id             TEXT NOT NULL REFERENCES senders(id),
    to_phone              TEXT NOT NULL,
    variables             TEXT NOT NULL,
    -- engage_core::wire::RenderedMessage as JSON, and its plain-text form.
    rendered              TEXT NOT NULL,
    text                  TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed')),
    attempts              INTEGER NOT NULL DEFAULT 0,
    next_attempt_at       INTEGER NOT NULL,
    lease_until           INTEGER,
    provider_message_id   TEXT,
    error_code            TEXT,
    error_message         TEXT,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    sent_at               INTEGER,
    delivered_at          INTEGER,
    read_at               INTEGER,
    failed_at             INTEGER
);
CREATE INDEX messages_campaign ON messages(campaign_id, id);
CREATE INDEX messages_due ON messages(next_attempt_at) WHERE status = 'queued';

-- Idempotency-Key of send requests, kept at least 24 h. Inserted in the same transaction as
-- the messages it created, so concurrent duplicates create exactly one set of messages.
CREATE TABLE idempotency_keys (
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
    key            TEXT NOT NULL,
    request_hash   BLOB NOT NULL,
    status_code    INTEGER NOT NULL,
    response       TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
