-- The order desk's figures and the frequent requests per local day
-- (reports, items 2 and 4), kept like the intervals so that a month's
-- report sums rows instead of reading every call, order and offer. Derived
-- from the facts (centrala_desk::report::day_rows and tally), rebuilt for
-- the days whose facts changed since desk_marks' mark, and by `centrala
-- reports rebuild`.

-- One operator's day at the order desk.
CREATE TABLE desk_days (
    company_id   BIGINT NOT NULL REFERENCES companies(id),
    day          TEXT NOT NULL,
    staff_id     BIGINT NOT NULL,
    calls        BIGINT NOT NULL,
    order_calls  BIGINT NOT NULL,
    converted    BIGINT NOT NULL,
    orders       BIGINT NOT NULL,
    value_cents  BIGINT NOT NULL,
    lines        BIGINT NOT NULL,
    offers       BIGINT NOT NULL,
    accepted     BIGINT NOT NULL,
    debt_stops   BIGINT NOT NULL,
    cancelled    BIGINT NOT NULL,
    PRIMARY KEY (company_id, day, staff_id)
);

-- The same day's offers per reason.
CREATE TABLE desk_day_offers (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    day         TEXT NOT NULL,
    staff_id    BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    offers      BIGINT NOT NULL,
    PRIMARY KEY (company_id, day, staff_id, reason)
);

-- The contacts that came in on a day, counted per what they were about.
-- client_type and queue: '' for none (not a client; left in the menu).
CREATE TABLE request_days (
    company_id   BIGINT NOT NULL REFERENCES companies(id),
    day          TEXT NOT NULL,
    intent       TEXT NOT NULL,
    wrap_up      TEXT NOT NULL,
    client_type  TEXT NOT NULL,
    queue        TEXT NOT NULL,
    contacts     BIGINT NOT NULL,
    PRIMARY KEY (company_id, day, intent, wrap_up, client_type, queue)
);

-- How far each company's days are up to date.
CREATE TABLE desk_marks (
    company_id  BIGINT PRIMARY KEY REFERENCES companies(id),
    done_until  TEXT NOT NULL
);

-- When the wrap-up code was last written: it changes a call's day after
-- the call ended.
ALTER TABLE interactions ADD COLUMN wrapped_at TEXT;
CREATE INDEX interactions_wrapped ON interactions (company_id, wrapped_at);
-- Order changes since a mark, whatever their kind.
CREATE INDEX order_events_at ON order_events (company_id, at);
