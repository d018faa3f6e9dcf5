-- Issue 12 §4: quick-reply buttons marked as opt-out, per template: a JSON array of the
-- buttons' texts (NULL: none). The template upsert of a re-sync or re-import does not touch it,
-- so the marks survive as long as the template keeps its name and language.
ALTER TABLE templates ADD COLUMN opt_out_buttons TEXT;

-- A press on a marked button puts the number on the list with `source` `button`.
ALTER TABLE opt_outs DROP CONSTRAINT opt_outs_source_check;
ALTER TABLE opt_outs ADD CONSTRAINT opt_outs_source_check
    CHECK (source IN ('reply', 'staff', 'button'));
