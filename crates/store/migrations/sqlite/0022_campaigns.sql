-- Outbound campaigns (OD-16, OD-17, CC-6): what to call, when, with which
-- results; their targets with state, attempts and outcome; and the
-- company's do-not-call list. Times of a target (next_at) are the
-- company's local time, 'YYYY-MM-DD HH:MM', as the campaign's hours are.
CREATE TABLE campaigns (
    id              INTEGER PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    script          TEXT NOT NULL,
    results         TEXT NOT NULL,          -- comma-separated result codes
    agents          TEXT NOT NULL,          -- comma-separated usernames
    mode            TEXT NOT NULL,          -- preview | progressive
    starts_on       TEXT,
    ends_on         TEXT,
    due_on          TEXT,
    days            TEXT NOT NULL,          -- '1111100': Monday first
    hours_from      TEXT NOT NULL,
    hours_to        TEXT NOT NULL,
    retry_minutes   BIGINT NOT NULL,
    max_attempts    BIGINT NOT NULL,
    status          TEXT NOT NULL,          -- draft | running | paused | done
    created_at      TEXT NOT NULL
);
CREATE INDEX campaigns_company ON campaigns (company_id, status);

CREATE TABLE campaign_targets (
    id                  INTEGER PRIMARY KEY,
    company_id          BIGINT NOT NULL REFERENCES companies(id),
    campaign_id         BIGINT NOT NULL,
    client_id           BIGINT NOT NULL,
    position            BIGINT NOT NULL,
    state               TEXT NOT NULL,      -- pending | calling | done
    attempts            BIGINT NOT NULL,
    outcome             TEXT NOT NULL,
    notes               TEXT NOT NULL,
    next_at             TEXT,
    preferred_staff_id  BIGINT,
    last_staff_id       BIGINT,
    last_at             TEXT,
    order_id            BIGINT,
    last_order          TEXT,
    UNIQUE (campaign_id, client_id)
);
CREATE INDEX campaign_targets_state ON campaign_targets (company_id, campaign_id, state);

CREATE TABLE dnc (
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    number          TEXT NOT NULL,
    client_id       BIGINT,
    added_by        TEXT NOT NULL,
    added_at        TEXT NOT NULL,
    PRIMARY KEY (company_id, number)
);
