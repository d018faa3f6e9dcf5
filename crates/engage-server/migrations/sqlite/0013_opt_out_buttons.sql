-- Issue 12 §4: quick-reply buttons marked as opt-out, per template: a JSON array of the
-- buttons' texts (NULL: none). The template upsert of a re-sync or re-import does not touch it,
-- so the marks survive as long as the template keeps its name and language.
ALTER TABLE templates ADD COLUMN opt_out_buttons TEXT;

-- A press on a marked button puts the number on the list with `source` `button`. SQLite cannot
-- change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE opt_outs_new (
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
    phone          TEXT NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('reply', 'staff', 'button')),
    detail         TEXT,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, phone)
);
INSERT INTO opt_outs_new (workspace_id, phone, source, detail, created_at)
SELECT workspace_id, phone, source, detail, created_at FROM opt_outs;
DROP TABLE opt_outs;
ALTER TABLE opt_outs_new RENAME TO opt_outs;
CREATE INDEX opt_outs_created ON opt_outs(workspace_id, created_at);
