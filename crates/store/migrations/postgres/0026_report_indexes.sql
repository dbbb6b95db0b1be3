-- What a report reads is a span of time: the calls answered, the orders
-- confirmed, the offers made in it (Scoped::order_desk_facts), each by
-- an index rather than every row of the company.
CREATE INDEX interactions_answered ON interactions (company_id, answered_at);
CREATE INDEX order_events_kind_at ON order_events (company_id, kind, at);
CREATE INDEX order_offers_at ON order_offers (company_id, at);
CREATE INDEX campaign_targets_last_at ON campaign_targets (company_id, last_at);
