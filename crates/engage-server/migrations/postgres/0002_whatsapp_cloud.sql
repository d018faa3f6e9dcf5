-- WhatsApp Cloud API provider (as migrations/sqlite/0002).
ALTER TABLE senders ADD COLUMN phone_number_id TEXT;
ALTER TABLE senders ADD COLUMN waba_id TEXT;
ALTER TABLE senders ADD COLUMN access_token_encrypted BYTEA;
ALTER TABLE senders ADD COLUMN rate_per_second BIGINT CHECK (rate_per_second IS NULL OR rate_per_second > 0);
CREATE UNIQUE INDEX senders_phone_number_id ON senders(phone_number_id) WHERE phone_number_id IS NOT NULL;
CREATE INDEX senders_waba ON senders(waba_id) WHERE waba_id IS NOT NULL;

ALTER TABLE templates ADD COLUMN meta_template_id TEXT;

CREATE INDEX messages_provider_message_id ON messages(provider_message_id) WHERE provider_message_id IS NOT NULL;
