-- The campaign an outbound call was placed for (CC-6, OD-16, OD-17):
-- empty for every other call.
ALTER TABLE interactions ADD COLUMN campaign_id BIGINT REFERENCES campaigns(id);
CREATE INDEX interactions_campaign ON interactions (company_id, campaign_id);
