-- Indexes for the client card and recommendations: an order's lines by
-- order within a company, flagged products, pairs by frequency.
CREATE INDEX order_lines_order ON order_lines (company_id, order_id);
CREATE INDEX products_new ON products (company_id, is_new);
CREATE INDEX products_special ON products (company_id, is_special);
CREATE INDEX product_pairs_rank ON product_pairs (company_id, product_id, orders);
