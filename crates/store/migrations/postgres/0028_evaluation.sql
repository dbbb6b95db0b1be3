-- Evaluation (OD-26, CC-13): the company's scorecards and their criteria;
-- calls scored on them, each keeping a copy of the criteria as they were;
-- complaints about staff and the head's decision; operators' levels,
-- mentors and probation; the department's targets (shares and scores in
-- per mille, handle time in seconds).

CREATE TABLE scorecards (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (company_id, code)
);

CREATE TABLE scorecard_criteria (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    scorecard   TEXT NOT NULL,
    position    BIGINT NOT NULL,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    weight      BIGINT NOT NULL,
    max_mark    BIGINT NOT NULL,
    PRIMARY KEY (company_id, scorecard, code)
);

CREATE TABLE evaluations (
    id              BIGSERIAL PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    interaction_id  BIGINT NOT NULL,
    staff_id        BIGINT NOT NULL,
    evaluator       TEXT NOT NULL,
    scorecard       TEXT NOT NULL,
    score           BIGINT NOT NULL,
    comment         TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX evaluations_created ON evaluations (company_id, created_at);
CREATE INDEX evaluations_interaction ON evaluations (company_id, interaction_id);

CREATE TABLE evaluation_marks (
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    evaluation_id   BIGINT NOT NULL,
    position        BIGINT NOT NULL,
    code            TEXT NOT NULL,
    name            TEXT NOT NULL,
    weight          BIGINT NOT NULL,
    max_mark        BIGINT NOT NULL,
    mark            BIGINT NOT NULL,
    PRIMARY KEY (company_id, evaluation_id, code)
);

CREATE TABLE staff_complaints (
    id              BIGSERIAL PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    staff_id        BIGINT NOT NULL,
    source          TEXT NOT NULL,          -- client | department
    origin          TEXT NOT NULL,          -- the client's or department's code
    text            TEXT NOT NULL,
    interaction_id  BIGINT,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    justified       BIGINT,                 -- null until decided
    decided_by      TEXT,
    decided_at      TEXT,
    decision_note   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX staff_complaints_created ON staff_complaints (company_id, created_at);

CREATE TABLE staff_development (
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    staff_id        BIGINT NOT NULL,
    level           TEXT NOT NULL,
    mentor_id       BIGINT,
    probation_until TEXT,
    PRIMARY KEY (company_id, staff_id)
);

CREATE TABLE report_targets (
    company_id      BIGINT PRIMARY KEY REFERENCES companies(id),
    service_level   BIGINT,
    aht_seconds     BIGINT,
    conversion      BIGINT,
    attach_rate     BIGINT,
    quality         BIGINT
);
