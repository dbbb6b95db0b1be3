-- Interval statistics (reports, item 1): what the agents did and when,
-- and the 15-minute intervals derived from it and from the calls' stories
-- (centrala_desk::intervals), kept so a month's report sums rows instead
-- of reading every call. The intervals can always be rebuilt from the
-- facts; report_marks says how far they are up to date per company.

-- Every change of an agent's state, as the ACD made it.
CREATE TABLE agent_states (
    id          BIGSERIAL PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    staff_id    BIGINT NOT NULL,
    at          TEXT NOT NULL,
    state       TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX agent_states_at ON agent_states (company_id, at);
CREATE INDEX agent_states_staff ON agent_states (company_id, staff_id, at);

-- When a call entered its queue (after the menu); arrived_at before it.
ALTER TABLE interactions ADD COLUMN routed_at TEXT;
CREATE INDEX interactions_ended ON interactions (company_id, ended_at);
CREATE INDEX interaction_events_at ON interaction_events (company_id, at);

-- One queue's 15 minutes. day: the company's local day of start.
CREATE TABLE queue_intervals (
    company_id          BIGINT NOT NULL REFERENCES companies(id),
    start               TEXT NOT NULL,
    day                 TEXT NOT NULL,
    queue               TEXT NOT NULL,
    offered             BIGINT NOT NULL,
    answered            BIGINT NOT NULL,
    answered_within     BIGINT NOT NULL,
    abandoned           BIGINT NOT NULL,
    abandoned_after     BIGINT NOT NULL,
    abandon_wait_ms     BIGINT NOT NULL,
    wait_ms             BIGINT NOT NULL,
    longest_wait_ms     BIGINT NOT NULL,
    talk_ms             BIGINT NOT NULL,
    wrap_ms             BIGINT NOT NULL,
    transfers           BIGINT NOT NULL,
    callbacks_requested BIGINT NOT NULL,
    callbacks_made      BIGINT NOT NULL,
    callbacks_unreached BIGINT NOT NULL,
    overflowed          BIGINT NOT NULL,
    PRIMARY KEY (company_id, start, queue)
);

-- One agent's 15 minutes.
CREATE TABLE agent_intervals (
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    start           TEXT NOT NULL,
    day             TEXT NOT NULL,
    staff_id        BIGINT NOT NULL,
    offered         BIGINT NOT NULL,
    missed          BIGINT NOT NULL,
    answered        BIGINT NOT NULL,
    outbound        BIGINT NOT NULL,
    talk_ms         BIGINT NOT NULL,
    wrap_ms         BIGINT NOT NULL,
    transfers       BIGINT NOT NULL,
    ready_ms        BIGINT NOT NULL,
    ringing_ms      BIGINT NOT NULL,
    talking_ms      BIGINT NOT NULL,
    wrap_up_ms      BIGINT NOT NULL,
    not_ready_ms    BIGINT NOT NULL,
    offline_ms      BIGINT NOT NULL,
    PRIMARY KEY (company_id, start, staff_id)
);

-- An agent's time not ready in 15 minutes, by reason.
CREATE TABLE agent_interval_reasons (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    start       TEXT NOT NULL,
    day         TEXT NOT NULL,
    staff_id    BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    ms          BIGINT NOT NULL,
    PRIMARY KEY (company_id, start, staff_id, reason)
);

-- Up to when the intervals were brought up to date, per company (also the
-- last instant the server was known to be running).
CREATE TABLE report_marks (
    company_id  BIGINT PRIMARY KEY REFERENCES companies(id),
    done_until  TEXT NOT NULL
);
