-- The targets due, read in order without sorting every pending one: the
-- call-backs and retries by when they are due, the fresh ones by their
-- place in the list (Scoped::due_targets).
CREATE INDEX campaign_targets_due ON campaign_targets (company_id, campaign_id, state, next_at, position);
