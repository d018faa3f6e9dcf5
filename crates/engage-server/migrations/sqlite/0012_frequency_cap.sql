-- Issue 12 §5: a campaign's optional frequency cap, "at most `frequency_cap_max` messages to
-- the same person every `frequency_cap_period` `frequency_cap_unit`s" (all three set, or none).
ALTER TABLE campaigns ADD COLUMN frequency_cap_max INTEGER
    CHECK (frequency_cap_max IS NULL OR frequency_cap_max BETWEEN 1 AND 1000);
ALTER TABLE campaigns ADD COLUMN frequency_cap_period INTEGER
    CHECK (frequency_cap_period IS NULL OR frequency_cap_period BETWEEN 1 AND 43200);
ALTER TABLE campaigns ADD COLUMN frequency_cap_unit TEXT
    CHECK (frequency_cap_unit IS NULL OR frequency_cap_unit IN ('minutes', 'hours', 'days'));

-- The recent send times (ms, a JSON array, newest last, at most 1,000 within 30 days) of
-- each recipient of a capped campaign, per kind (`test`: sends with test credentials count
-- apart from live ones). Written only by the message writer, in the transaction that inserts
-- the messages: the row is upserted first, which locks it until the commit, so concurrent
-- sends to one number (several writers on PostgreSQL) are decided one after the other.
-- Why a table of its own and not a count over `messages`: counting needs an index on
-- messages(campaign_id, to_phone, created_at), paid on every insert of every campaign; this
-- row is only written for campaigns that have a cap.
CREATE TABLE frequency_cap_sends (
    campaign_id    TEXT NOT NULL REFERENCES campaigns(id),
    phone          TEXT NOT NULL,
    test           INTEGER NOT NULL CHECK (test IN (0, 1)),
    sends          TEXT NOT NULL,
    PRIMARY KEY (campaign_id, phone, test)
);
