-- Per-campaign API credentials and test mode (issue 11).
--
-- A campaign's API clients: one live and one test client (client id `engage_test_…`) per
-- campaign; `campaign_id IS NULL` is a workspace-wide client (CLI / admin). A rotation keeps
-- the previous secret's hash until the grace period ends; a revoked client (and every token
-- of it) is refused from the next request on.
ALTER TABLE api_clients ADD COLUMN campaign_id TEXT REFERENCES campaigns(id);
ALTER TABLE api_clients ADD COLUMN test INTEGER NOT NULL DEFAULT 0 CHECK (test IN (0, 1));
ALTER TABLE api_clients ADD COLUMN previous_secret_hash BLOB;
ALTER TABLE api_clients ADD COLUMN previous_secret_expires_at INTEGER;
ALTER TABLE api_clients ADD COLUMN last_used_at INTEGER;
ALTER TABLE api_clients ADD COLUMN revoked_at INTEGER;
CREATE UNIQUE INDEX api_clients_campaign_mode ON api_clients(campaign_id, test)
    WHERE campaign_id IS NOT NULL AND revoked_at IS NULL;
CREATE INDEX tokens_api_client ON tokens(api_client_id) WHERE api_client_id IS NOT NULL;

-- A message sent with test credentials: delivered by the sandbox provider whatever its
-- sender, shown as a test, left out of the insights.
ALTER TABLE messages ADD COLUMN test INTEGER NOT NULL DEFAULT 0 CHECK (test IN (0, 1));

-- Status callbacks to the customer's system: one endpoint per workspace and optionally one
-- per campaign (which wins). The signing secret is sealed with the server's key. An
-- endpoint failing for 24 h is paused until staff save it again.
CREATE TABLE callback_endpoints (
    id                TEXT PRIMARY KEY NOT NULL,
    workspace_id      TEXT NOT NULL REFERENCES workspaces(id),
    campaign_id       TEXT REFERENCES campaigns(id),
    url               TEXT NOT NULL,
    secret_encrypted  BLOB NOT NULL,
    failing_since     INTEGER,
    paused_at         INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX callback_endpoints_workspace ON callback_endpoints(workspace_id) WHERE campaign_id IS NULL;
CREATE UNIQUE INDEX callback_endpoints_campaign ON callback_endpoints(campaign_id) WHERE campaign_id IS NOT NULL;

-- The durable outbox: one row per status change of a live message, written by the message
-- writer in the transaction of the change. Ids are UUIDv7: for one message, a later status
-- has a greater id and is sent only once every earlier one has left `pending`.
CREATE TABLE callback_outbox (
    id               TEXT PRIMARY KEY NOT NULL,
    endpoint_id      TEXT NOT NULL REFERENCES callback_endpoints(id) ON DELETE CASCADE,
    -- The message, or `test-…` for a test event.
    message_id       TEXT NOT NULL,
    -- The JSON body, exactly as signed and sent.
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'expired')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER,
    lease_owner      TEXT,
    created_at       INTEGER NOT NULL,
    delivered_at     INTEGER
);
CREATE INDEX callback_outbox_due ON callback_outbox(next_attempt_at) WHERE status = 'pending';
CREATE INDEX callback_outbox_message ON callback_outbox(message_id, id) WHERE status = 'pending';

-- Every delivery attempt, for the app's list of recent attempts.
CREATE TABLE callback_attempts (
    id           TEXT PRIMARY KEY NOT NULL,
    endpoint_id  TEXT NOT NULL REFERENCES callback_endpoints(id) ON DELETE CASCADE,
    outbox_id    TEXT NOT NULL,
    -- The event's status (`delivered`, `test`, …), the HTTP status (NULL: no answer).
    event        TEXT NOT NULL,
    status_code  INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX callback_attempts_endpoint ON callback_attempts(endpoint_id, at);
