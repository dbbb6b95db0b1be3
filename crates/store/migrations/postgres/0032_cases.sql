-- Cases (OD-20, CC-15): a client's comment, wish, complaint or claim,
-- raised from any channel, for the department concerned
-- (centrala_desk::cases); its history and notes; the company's rules per
-- category (department, deadline).

CREATE TABLE cases (
    id              BIGSERIAL PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    category        TEXT NOT NULL,
    status          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    description     TEXT NOT NULL,
    client_id       BIGINT,
    interaction_id  BIGINT,
    department_id   BIGINT,
    owner_id        BIGINT,
    raised_by       TEXT NOT NULL,          -- a username, or form:<code>
    created_at      TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    resolution      TEXT NOT NULL DEFAULT '',
    closed_at       TEXT
);
CREATE INDEX cases_status ON cases (company_id, status, due_at);
CREATE INDEX cases_client ON cases (company_id, client_id);
CREATE INDEX cases_created ON cases (company_id, created_at);

-- What happened to a case, in order. kind: opened, status, owner,
-- department, note (internal), reply (to the client).
CREATE TABLE case_events (
    id          BIGSERIAL PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX case_events_of ON case_events (company_id, case_id, id);

CREATE TABLE case_rules (
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    category        TEXT NOT NULL,
    department_id   BIGINT,
    deadline_hours  BIGINT NOT NULL,
    PRIMARY KEY (company_id, category)
);

-- Messages waiting to go out over the company's SMTP server (a case's
-- notice to its department's head and owner, a reply to the client),
-- sent by the mail round and tried again with backoff; state: pending,
-- sent, failed (given up).
CREATE TABLE mail_outbox (
    id          BIGSERIAL PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    to_address  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    about       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    state       TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    next_at     TEXT NOT NULL,
    last_error  TEXT NOT NULL DEFAULT '',
    sent_at     TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_at);
CREATE INDEX mail_outbox_about ON mail_outbox (company_id, about);
