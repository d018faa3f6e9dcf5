-- Several instances on one database (as migrations/sqlite/0004).
ALTER TABLE messages ADD COLUMN lease_owner TEXT;

CREATE TABLE sender_pacing (
    sender_id   TEXT PRIMARY KEY NOT NULL REFERENCES senders(id),
    next_at_us  BIGINT NOT NULL
);
