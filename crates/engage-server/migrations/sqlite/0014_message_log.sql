-- issue 12: the message log and its CSV export read a campaign's messages newest (or
-- oldest) first by (created_at, id), within a period and, when asked, of one status.
CREATE INDEX messages_campaign_created ON messages(campaign_id, created_at, id);
CREATE INDEX messages_campaign_status_created ON messages(campaign_id, status, created_at, id);
