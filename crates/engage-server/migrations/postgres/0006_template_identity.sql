-- Templates as Meta sends them (issue 10; as migrations/sqlite/0006).

-- Why Engage cannot send a template Meta approved (carousel, limited-time offer, catalog,
-- multi-product, flow, ...): engage_core::wire::TemplateUnsupported as JSON; NULL = supported.
ALTER TABLE templates ADD COLUMN unsupported TEXT;
-- Meta's quality rating (GREEN, YELLOW, RED, UNKNOWN); NULL until Meta reports one.
ALTER TABLE templates ADD COLUMN quality TEXT;
-- The last change Meta made that staff should see: engage_core::wire::TemplateChange as JSON.
ALTER TABLE templates ADD COLUMN last_change TEXT;
CREATE INDEX templates_meta_id ON templates(meta_template_id) WHERE meta_template_id IS NOT NULL;

-- Every template notification of Meta's webhooks (status, quality, category), applied or
-- not: an event that names no known template is kept here as 'unmatched'.
CREATE TABLE template_events (
    id                TEXT PRIMARY KEY NOT NULL,
    received_at       BIGINT NOT NULL,
    -- message_template_status_update, message_template_quality_update, template_category_update.
    field             TEXT NOT NULL,
    waba_id           TEXT,
    meta_template_id  TEXT,
    template_name     TEXT,
    template_language TEXT,
    -- Meta's event (PAUSED, ...), new quality score or new category.
    event             TEXT,
    -- 'applied', 'unchanged' (matched, nothing to change) or 'unmatched'.
    outcome           TEXT NOT NULL CHECK (outcome IN ('applied', 'unchanged', 'unmatched')),
    -- The templates it reached (JSON array of ids); empty when unmatched.
    template_ids      TEXT NOT NULL,
    -- The change's value as Meta sent it.
    payload           TEXT NOT NULL
);
CREATE INDEX template_events_received ON template_events(received_at);
