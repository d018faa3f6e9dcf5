-- Per-workspace webhook settings of the WhatsApp Cloud API (issue 5), beside the server-wide
-- ENGAGE_WHATSAPP_APP_SECRET / ENGAGE_WHATSAPP_VERIFY_TOKEN. Both are sealed with the server's
-- secret key (ChaCha20-Poly1305: nonce || ciphertext).
CREATE TABLE whatsapp_settings (
    workspace_id            TEXT PRIMARY KEY NOT NULL REFERENCES workspaces(id),
    app_secret_encrypted    BLOB NOT NULL,
    verify_token_encrypted  BLOB NOT NULL,
    updated_at              INTEGER NOT NULL
) WITHOUT ROWID;
