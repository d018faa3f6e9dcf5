-- Issue 11: a workspace's own rate limit of the send endpoint, in requests per second per API
-- client and server instance; NULL uses the server's ENGAGE_SEND_RATE_PER_SECOND (1,000).
ALTER TABLE workspaces ADD COLUMN send_rate_per_second BIGINT;
