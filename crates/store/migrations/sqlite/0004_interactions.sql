-- Telephony's records: the numbers that select a company for inbound calls,
-- and every interaction (call, later chat and e-mail) with its outcome.

CREATE TABLE company_numbers (
    number      TEXT PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    purpose     TEXT NOT NULL
);

CREATE TABLE interactions (
    id              INTEGER PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    channel         TEXT NOT NULL,
    direction       TEXT NOT NULL,
    caller          TEXT NOT NULL,
    called          TEXT NOT NULL,
    client_id       BIGINT REFERENCES clients(id),
    arrived_at      TEXT NOT NULL,
    answered_at     TEXT,
    ended_at        TEXT,
    ivr_path        TEXT NOT NULL DEFAULT '',
    digits          TEXT NOT NULL DEFAULT '',
    intent          TEXT NOT NULL DEFAULT '',
    routing_rule    TEXT NOT NULL DEFAULT '',
    routing_reasons TEXT NOT NULL DEFAULT '',
    disposition     TEXT NOT NULL,
    handled_by      BIGINT REFERENCES staff(id),
    recording       TEXT,
    notes           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX interactions_arrived ON interactions (company_id, arrived_at);
CREATE INDEX interactions_caller ON interactions (company_id, caller);
CREATE INDEX interactions_client ON interactions (company_id, client_id);
