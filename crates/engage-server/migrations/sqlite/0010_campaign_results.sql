-- Issue 12: campaign statistics kept as counters, written by the message writer in the same
-- transaction as the status change (test messages are not counted). One row per campaign and
-- UTC quarter-hour (`slot`: ms since the epoch of its start; a quarter-hour fits every time
-- zone's offset, so local hours and days are sums of whole slots). Each count is the events
-- of that kind whose time falls in the slot: accepted at created_at, sent at sent_at,
-- delivered and read at Meta's timestamps, failed at failed_at.
CREATE TABLE campaign_stats (
    campaign_id    TEXT NOT NULL REFERENCES campaigns(id),
    slot           INTEGER NOT NULL,
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
    n_accepted     INTEGER NOT NULL DEFAULT 0,
    n_sent         INTEGER NOT NULL DEFAULT 0,
    n_delivered    INTEGER NOT NULL DEFAULT 0,
    n_read         INTEGER NOT NULL DEFAULT 0,
    n_failed       INTEGER NOT NULL DEFAULT 0,
    -- The latest sent_at in the slot (the campaign list's "last sent").
    last_sent_at   INTEGER,
    PRIMARY KEY (campaign_id, slot)
);
CREATE INDEX campaign_stats_workspace ON campaign_stats(workspace_id, slot);

-- Failures by the stored code (`whatsapp_131026`, ...), per campaign and slot of failed_at.
CREATE TABLE campaign_failure_stats (
    campaign_id    TEXT NOT NULL REFERENCES campaigns(id),
    slot           INTEGER NOT NULL,
    code           TEXT NOT NULL,
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
    n              INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, slot, code)
);
CREATE INDEX campaign_failure_stats_workspace ON campaign_failure_stats(workspace_id, slot);

-- The messages already there.
INSERT INTO campaign_stats (campaign_id, slot, workspace_id, n_accepted, n_sent, n_delivered, n_read, n_failed, last_sent_at)
SELECT campaign_id, slot, workspace_id, SUM(a), SUM(s), SUM(d), SUM(r), SUM(f), MAX(ls) FROM (
    SELECT campaign_id, workspace_id, created_at - created_at % 900000 AS slot,
           1 AS a, 0 AS s, 0 AS d, 0 AS r, 0 AS f, CAST(NULL AS INTEGER) AS ls
      FROM messages WHERE NOT test
    UNION ALL
    SELECT campaign_id, workspace_id, sent_at - sent_at % 900000, 0, 1, 0, 0, 0, sent_at
      FROM messages WHERE NOT test AND sent_at IS NOT NULL
    UNION ALL
    SELECT campaign_id, workspace_id, delivered_at - delivered_at % 900000, 0, 0, 1, 0, 0, NULL
      FROM messages WHERE NOT test AND delivered_at IS NOT NULL
    UNION ALL
    SELECT campaign_id, workspace_id, read_at - read_at % 900000, 0, 0, 0, 1, 0, NULL
      FROM messages WHERE NOT test AND read_at IS NOT NULL
    UNION ALL
    SELECT campaign_id, workspace_id, failed_at - failed_at % 900000, 0, 0, 0, 0, 1, NULL
      FROM messages WHERE NOT test AND status = 'failed' AND failed_at IS NOT NULL
) AS events
GROUP BY campaign_id, slot, workspace_id;

INSERT INTO campaign_failure_stats (campaign_id, slot, code, workspace_id, n)
SELECT campaign_id, failed_at - failed_at % 900000, COALESCE(error_code, 'unknown'), workspace_id, COUNT(*)
  FROM messages WHERE NOT test AND status = 'failed' AND failed_at IS NOT NULL
 GROUP BY campaign_id, failed_at - failed_at % 900000, COALESCE(error_code, 'unknown'), workspace_id;

-- Issue 12: "Send a test to my phone" from the app. Such a message is a test (`test`: left out
-- of the statistics and the status callbacks, marked in the activity) that still goes out
-- through the campaign's sender to a real phone, unlike a message sent with test credentials
-- (which the sandbox delivers without leaving the server).
ALTER TABLE messages ADD COLUMN test_send INTEGER NOT NULL DEFAULT 0 CHECK (test_send IN (0, 1));

-- Issue 12: the workspace's do-not-message list. A send to a number on it is refused (422
-- `recipient_opted_out`) and nothing is queued. `source`: `reply` (an opt-out keyword in a
-- reply) or `staff`; `detail`: the reply's text or the staff member's reason.
CREATE TABLE opt_outs (
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
    phone          TEXT NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('reply', 'staff')),
    detail         TEXT,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, phone)
);
CREATE INDEX opt_outs_created ON opt_outs(workspace_id, created_at);

-- The workspace's opt-out keywords as a JSON array of strings; NULL: the defaults (PARAR,
-- SAIR, CANCELAR, STOP, BAJA, DESUSCRIBIR, UNSUBSCRIBE).
ALTER TABLE workspaces ADD COLUMN opt_out_keywords TEXT;
