-- Issue 15: on SQLite the integration log moved to a file of its own (the write lock of one
-- file is shared by every writer). PostgreSQL locks rows, not the database: its
-- integration_calls table stays where migration 0011 made it. Nothing to change here; this
-- migration keeps both backends at the same version.
SELECT 1;
