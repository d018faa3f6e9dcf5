-- Engage schema (PostgreSQL). The same tables as migrations/sqlite: identifiers are UUID
-- strings (TEXT), times are Unix milliseconds (BIGINT, UTC), so one set of queries reads
-- both backends.

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY NOT NULL,
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
    email          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users(email);

CREATE TABLE api_clients (
    id                 TEXT PRIMARY KEY NOT NULL,
    workspace_id       TEXT NOT NULL REFERENCES workspaces(id),
    name               TEXT NOT NULL,
    client_id          TEXT NOT NULL UNIQUE,
    secret_hash        BYTEA NOT NULL,
    secret_encrypted   BYTEA NOT NULL,
    created_at         BIGINT NOT NULL
);
CREATE INDEX api_clients_workspace ON api_clients(workspace_id, created_at);

CREATE TABLE tokens (
    token_hash     BYTEA PRIMARY KEY NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('staff_access', 'staff_refresh', 'client_access')),
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
    user_id        TEXT REFERENCES users(id),
    api_client_id  TEXT REFERENCES api_clients(id),
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    created_at     BIGINT NOT NULL,
    CHECK ((kind = 'client_access') = (api_client_id IS NOT NULL)),
    CHECK ((kind = 'client_access') = (user_id IS NULL))
);
CREATE INDEX tokens_expiry ON tokens(expires_at);

CREATE TABLE senders (
    id            TEXT PRIMARY KEY NOT NULL,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'inactive')),
    provider      TEXT NOT NULL CHECK (provider IN ('sandbox', 'whatsapp_cloud')),
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX senders_phone ON senders(workspace_id, phone);

CREATE TABLE templates (
    id            TEXT PRIMARY KEY NOT NULL,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    language      TEXT NOT NULL,
    category      TEXT NOT NULL CHECK (category IN ('UTILITY', 'MARKETING', 'AUTHENTICATION')),
    status        TEXT NOT NULL CHECK (status IN ('APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED')),
    components    TEXT NOT NULL,
    variables     TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX templates_name_language ON templates(workspace_id, name, language);

CREATE TABLE campaigns (
    id            TEXT PRIMARY KEY NOT NULL,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    type          TEXT NOT NULL CHECK (type IN ('recurrent')),
    status        TEXT NOT NULL CHECK (status IN ('active', 'inactive')),
    sender_id     TEXT NOT NULL REFERENCES senders(id),
    template_id   TEXT NOT NULL REFERENCES templates(id),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX campaigns_name_key ON campaigns(workspace_id, name_key);

CREATE TABLE messages (
    id                    TEXT PRIMARY KEY NOT NULL,
    workspace_id          TEXT NOT NULL REFERENCES workspaces(id),
    campaign_id           TEXT NOT NULL REFERENCES campaigns(id),
    sender_id             TEXT NOT NULL REFERENCES senders(id),
    to_phone              TEXT NOT NULL,
    variables             TEXT NOT NULL,
    rendered              TEXT NOT NULL,
    text                  TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed')),
    attempts              BIGINT NOT NULL DEFAULT 0,
    next_attempt_at       BIGINT NOT NULL,
    lease_until           BIGINT,
    provider_message_id   TEXT,
    error_code            TEXT,
    error_message         TEXT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    sent_at               BIGINT,
    delivered_at          BIGINT,
    read_at               BIGINT,
    failed_at             BIGINT
);
CREATE INDEX messages_campaign ON messages(campaign_id, id);
CREATE INDEX messages_due ON messages(next_attempt_at) WHERE status = 'queued';

CREATE TABLE idempotency_keys (
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
    key            TEXT NOT NULL,
    request_hash   BYTEA NOT NULL,
    status_code    BIGINT NOT NULL,
    response       TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
