-- The knowledge base (CC-9, OD-18): articles in Markdown per company, every
-- saved version kept, attachments, operators' feedback and the questions
-- nobody's article answered. Lists (tags, linked skus, client types,
-- request categories) are comma-separated: they are read whole, and the
-- search index (centrala-kb) is what matches on them.
CREATE TABLE kb_articles (
    id                  INTEGER PRIMARY KEY,
    company_id          BIGINT NOT NULL REFERENCES companies(id),
    title               TEXT NOT NULL,
    body                TEXT NOT NULL,
    category            TEXT NOT NULL,
    tags                TEXT NOT NULL,
    product_skus        TEXT NOT NULL,
    client_types        TEXT NOT NULL,
    request_categories  TEXT NOT NULL,
    status              TEXT NOT NULL,          -- draft | published
    review_by           TEXT,                   -- a date; stale after it
    version             BIGINT NOT NULL,
    author              TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    helpful             BIGINT NOT NULL DEFAULT 0,
    not_helpful         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX kb_articles_company ON kb_articles (company_id, updated_at);

CREATE TABLE kb_versions (
    id                  INTEGER PRIMARY KEY,
    company_id          BIGINT NOT NULL REFERENCES companies(id),
    article_id          BIGINT NOT NULL,
    version             BIGINT NOT NULL,
    title               TEXT NOT NULL,
    body                TEXT NOT NULL,
    category            TEXT NOT NULL,
    tags                TEXT NOT NULL,
    status              TEXT NOT NULL,
    author              TEXT NOT NULL,
    saved_at            TEXT NOT NULL,
    UNIQUE (article_id, version)
);

CREATE TABLE kb_attachments (
    id                  INTEGER PRIMARY KEY,
    company_id          BIGINT NOT NULL REFERENCES companies(id),
    article_id          BIGINT NOT NULL,
    name                TEXT NOT NULL,
    content_type        TEXT NOT NULL,
    size                BIGINT NOT NULL,
    data                BLOB NOT NULL,
    uploaded_by         TEXT NOT NULL,
    uploaded_at         TEXT NOT NULL
);
CREATE INDEX kb_attachments_article ON kb_attachments (company_id, article_id);

-- One vote per reader and article; the article keeps the totals.
CREATE TABLE kb_feedback (
    company_id          BIGINT NOT NULL REFERENCES companies(id),
    article_id          BIGINT NOT NULL,
    staff_id            BIGINT NOT NULL,
    helpful             BIGINT NOT NULL,
    at                  TEXT NOT NULL,
    PRIMARY KEY (article_id, staff_id)
);

-- "Nothing found — ask the editors": what was searched, by whom, on which
-- call; answered when an editor links an article or closes it.
CREATE TABLE kb_requests (
    id                  INTEGER PRIMARY KEY,
    company_id          BIGINT NOT NULL REFERENCES companies(id),
    query               TEXT NOT NULL,
    interaction_id      BIGINT,
    asked_by            TEXT NOT NULL,
    asked_at            TEXT NOT NULL,
    status              TEXT NOT NULL,          -- open | answered
    article_id          BIGINT
);
CREATE INDEX kb_requests_open ON kb_requests (company_id, status);
