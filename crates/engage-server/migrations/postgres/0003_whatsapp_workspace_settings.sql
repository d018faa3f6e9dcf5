-- Per-workspace webhook settings of the WhatsApp Cloud API (as migrations/sqlite/0003).
CREATE TABLE whatsapp_settings (
    workspace_id            TEXT PRIMARY KEY NOT NULL REFERENCES workspaces(id),
    app_secret_encrypted    BYTEA NOT NULL,
    verify_token_encrypted  BYTEA NOT NULL,
    updated_at              BIGINT NOT NULL
);
