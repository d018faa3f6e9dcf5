-- WhatsApp Cloud API provider (issue 5).

-- A whatsapp_cloud sender's Cloud API identity. The access token is sealed with the server's
-- secret key (ChaCha20-Poly1305: nonce || ciphertext), like client secrets.
ALTER TABLE senders ADD COLUMN phone_number_id TEXT;
ALTER TABLE senders ADD COLUMN waba_id TEXT;
ALTER TABLE senders ADD COLUMN access_token_encrypted BLOB;
-- Messages per second this number may send (Meta's throughput); NULL = the default (80).
ALTER TABLE senders ADD COLUMN rate_per_second INTEGER CHECK (rate_per_second IS NULL OR rate_per_second > 0);
CREATE UNIQUE INDEX senders_phone_number_id ON senders(phone_number_id) WHERE phone_number_id IS NOT NULL;
CREATE INDEX senders_waba ON senders(waba_id) WHERE waba_id IS NOT NULL;

-- Meta's id of a template fetched by sync (the message_template_id of status webhooks).
ALTER TABLE templates ADD COLUMN meta_template_id TEXT;

-- Status webhooks name messages by their WhatsApp message id.
CREATE INDEX messages_provider_message_id ON messages(provider_message_id) WHERE provider_message_id IS NOT NULL;
