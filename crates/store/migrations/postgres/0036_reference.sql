-- Reference information from the desk (issue "Every channel in one
-- queue", item 5; OD-18): each company's delivery terms (and those for
-- regional clients), certificates an admin uploads per product, and the
-- files an outbox message carries.

CREATE TABLE company_reference (
    company_id      BIGINT PRIMARY KEY REFERENCES companies(id),
    delivery_terms  TEXT NOT NULL,
    regional_terms  TEXT NOT NULL
);

CREATE TABLE product_certificates (
    id              BIGSERIAL PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    sku             TEXT NOT NULL,
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            BIGINT NOT NULL,
    data            BYTEA NOT NULL,
    uploaded_by     TEXT NOT NULL,
    uploaded_at     TEXT NOT NULL
);
CREATE INDEX product_certificates_sku ON product_certificates (company_id, sku);

CREATE TABLE mail_outbox_files (
    id              BIGSERIAL PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    outbox_id       BIGINT NOT NULL REFERENCES mail_outbox(id),
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    data            BYTEA NOT NULL
);
CREATE INDEX mail_outbox_files_outbox ON mail_outbox_files (company_id, outbox_id);
