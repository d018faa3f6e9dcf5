-- Per-campaign API credentials and test mode (issue 11). See migrations/sqlite.
ALTER TABLE api_clients ADD COLUMN campaign_id TEXT REFERENCES campaigns(id);
ALTER TABLE api_clients ADD COLUMN test BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE api_clients ADD COLUMN previous_secret_hash BYTEA;
ALTER TABLE api_clients ADD COLUMN previous_secret_expires_at BIGINT;
ALTER TABLE api_clients ADD COLUMN last_used_at BIGINT;
ALTER TABLE api_clients ADD COLUMN revoked_at BIGINT;
CREATE UNIQUE INDEX api_clients_campaign_mode ON api_clients(campaign_id, test)
    WHERE campaign_id IS NOT NULL AND revoked_at IS NULL;
CREATE INDEX tokens_api_client ON tokens(api_client_id) WHERE api_client_id IS NOT NULL;

ALTER TABLE messages ADD COLUMN test BOOLEAN NOT NULL DEFAULT FALSE;

-- Status callbacks (see migrations/sqlite).
CREATE TABLE callback_endpoints (
    id                TEXT PRIMARY KEY NOT NULL,
    workspace_id      TEXT NOT NULL REFERENCES workspaces(id),
    campaign_id       TEXT REFERENCES campaigns(id),
    url               TEXT NOT NULL,
    secret_encrypted  BYTEA NOT NULL,
    failing_since     BIGINT,
    paused_at         BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX callback_endpoints_workspace ON callback_endpoints(workspace_id) WHERE campaign_id IS NULL;
CREATE UNIQUE INDEX callback_endpoints_campaign ON callback_endpoints(campaign_id) WHERE campaign_id IS NOT NULL;

CREATE TABLE callback_outbox (
    id               TEXT PRIMARY KEY NOT NULL,
    endpoint_id      TEXT NOT NULL REFERENCES callback_endpoints(id) ON DELETE CASCADE,
    message_id       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'expired')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    lease_until      BIGINT,
    lease_owner      TEXT,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT
);
CREATE INDEX callback_outbox_due ON callback_outbox(next_attempt_at) WHERE status = 'pending';
CREATE INDEX callback_outbox_message ON callback_outbox(message_id, id) WHERE status = 'pending';

CREATE TABLE callback_attempts (
    id           TEXT PRIMARY KEY NOT NULL,
    endpoint_id  TEXT NOT NULL REFERENCES callback_endpoints(id) ON DELETE CASCADE,
    outbox_id    TEXT NOT NULL,
    event        TEXT NOT NULL,
    status_code  INTEGER,
    error        TEXT,
    duration_ms  BIGINT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX callback_attempts_endpoint ON callback_attempts(endpoint_id, at);
