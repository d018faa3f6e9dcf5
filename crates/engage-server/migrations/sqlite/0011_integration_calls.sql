-- Issue 15: the recent API requests of each campaign (token requests of its credentials and
-- sends), for the marketing user to see whether the technical team's calls arrive and why
-- they are refused. No bodies; a phone number only by its last 4 digits. Kept 7 days and at
-- most the last 1,000 per campaign (pruned by the integration log task and the purge loop).
CREATE TABLE integration_calls (
    id            TEXT PRIMARY KEY NOT NULL,
    workspace_id  TEXT NOT NULL,
    campaign_id   TEXT NOT NULL,
    at            INTEGER NOT NULL,
    -- 'token' or 'send'.
    kind          TEXT NOT NULL,
    -- The HTTP status answered.
    status        INTEGER NOT NULL,
    refused       INTEGER NOT NULL,
    -- Messages queued by the request (a batch may queue some and refuse others).
    accepted      INTEGER NOT NULL,
    code          TEXT,
    field         TEXT,
    reason        TEXT,
    phone_last4   TEXT,
    address       TEXT,
    test          INTEGER NOT NULL
);
CREATE INDEX integration_calls_campaign ON integration_calls(campaign_id, at);
CREATE INDEX integration_calls_at ON integration_calls(at);
