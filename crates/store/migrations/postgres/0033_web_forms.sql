-- Web forms (issue "Every channel in one queue", item 4): a company's
-- forms with their fields (centrala_desk::forms), and every submission
-- taken, with the address it came from (the rate limit) and what it
-- became (a contact, a case).

CREATE TABLE web_forms (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    code        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    active      BIGINT NOT NULL,
    position    BIGINT NOT NULL,
    PRIMARY KEY (company_id, code)
);

CREATE TABLE web_form_fields (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    form_code   TEXT NOT NULL,
    position    BIGINT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    required    BIGINT NOT NULL,
    label_bs    TEXT NOT NULL DEFAULT '',
    label_en    TEXT NOT NULL DEFAULT '',
    label_ru    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (company_id, form_code, position)
);

CREATE TABLE form_submissions (
    id              BIGSERIAL PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    form_code       TEXT NOT NULL,
    at              TEXT NOT NULL,
    address         TEXT NOT NULL,
    interaction_id  BIGINT,
    case_id         BIGINT
);
CREATE INDEX form_submissions_address ON form_submissions (company_id, address, at);

-- One row per field given.
CREATE TABLE form_submission_values (
    company_id     BIGINT NOT NULL REFERENCES companies(id),
    submission_id  BIGINT NOT NULL REFERENCES form_submissions(id),
    name           TEXT NOT NULL,
    value          TEXT NOT NULL,
    PRIMARY KEY (company_id, submission_id, name)
);
