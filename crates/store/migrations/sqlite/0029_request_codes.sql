-- What calls were about (CC-8): each company's wrap-up codes and the
-- request categories that group them, named per language (bs, en, ru; a
-- built-in code may leave its names to the translations). A code taken
-- off the list stays, retired (active = 0), so old calls are still named.

CREATE TABLE request_categories (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    code        TEXT NOT NULL,
    position    BIGINT NOT NULL,
    name_bs     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    name_ru     TEXT NOT NULL,
    PRIMARY KEY (company_id, code)
);

CREATE TABLE wrap_up_codes (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    code        TEXT NOT NULL,
    position    BIGINT NOT NULL,
    category    TEXT NOT NULL DEFAULT '',
    name_bs     TEXT NOT NULL DEFAULT '',
    name_en     TEXT NOT NULL DEFAULT '',
    name_ru     TEXT NOT NULL DEFAULT '',
    active      BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (company_id, code)
);

-- Evaluations and complaints are read per operator over a span.
CREATE INDEX evaluations_by_staff ON evaluations (company_id, staff_id, created_at);
CREATE INDEX staff_complaints_by_staff ON staff_complaints (company_id, staff_id, created_at);
