-- The order desk: desk orders beside imported history, their offers and
-- events, price-list column rules, and the product-pair counts that
-- "complementary" recommendations read.

ALTER TABLE orders ADD COLUMN total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN created_by BIGINT;
ALTER TABLE orders ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN price_column BIGINT NOT NULL DEFAULT 1;
ALTER TABLE orders ADD COLUMN price_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN override_reason TEXT;
ALTER TABLE orders ADD COLUMN delivery_date TEXT;
ALTER TABLE orders ADD COLUMN window_from TEXT;
ALTER TABLE orders ADD COLUMN window_to TEXT;
ALTER TABLE orders ADD COLUMN receivers TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN payment_form TEXT;
ALTER TABLE orders ADD COLUMN pickup_at TEXT;
ALTER TABLE orders ADD COLUMN shipping_details TEXT;
ALTER TABLE orders ADD COLUMN documents TEXT;
ALTER TABLE orders ADD COLUMN notes TEXT NOT NULL DEFAULT '';

CREATE INDEX order_lines_product ON order_lines (company_id, product_id);

CREATE TABLE order_offers (
    id          BIGSERIAL PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    order_id    BIGINT NOT NULL REFERENCES orders(id),
    product_id  BIGINT NOT NULL REFERENCES products(id),
    reason      TEXT NOT NULL,
    answer      TEXT NOT NULL,
    staff_id    BIGINT NOT NULL,
    at          TEXT NOT NULL,
    UNIQUE (order_id, product_id)
);

CREATE TABLE order_events (
    id          BIGSERIAL PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    order_id    BIGINT NOT NULL REFERENCES orders(id),
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events (company_id, order_id);

CREATE TABLE price_rules (
    id          BIGSERIAL PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    name        TEXT NOT NULL,
    priority    BIGINT NOT NULL,
    client_type TEXT,
    min_volume  BIGINT,
    valid_from  TEXT,
    valid_to    TEXT,
    column_no   BIGINT NOT NULL
);

CREATE TABLE product_pairs (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    product_id  BIGINT NOT NULL,
    other_id    BIGINT NOT NULL,
    orders      BIGINT NOT NULL,
    PRIMARY KEY (company_id, product_id, other_id)
);
