-- Issue 15: on SQLite the integration log moves to a file of its own, attached to every
-- connection as `log` (store::connect_sqlite creates `log.integration_calls` before the
-- migrations run). Its batch appends and trims then take that file's write lock, never the
-- one the message writer's group commits need. The requests already logged come along.
INSERT OR IGNORE INTO log.integration_calls SELECT * FROM main.integration_calls;
DROP TABLE main.integration_calls;
