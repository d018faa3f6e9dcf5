-- Several instances on one database (issue 8): which instance holds a message's lease, and
-- the per-sender send slot shared by every instance (the number's rate holds as a whole).
ALTER TABLE messages ADD COLUMN lease_owner TEXT;

CREATE TABLE sender_pacing (
    sender_id   TEXT PRIMARY KEY NOT NULL REFERENCES senders(id),
    -- Unix microseconds of the next free send slot (GCRA theoretical arrival time).
    next_at_us  INTEGER NOT NULL
) WITHOUT ROWID;
