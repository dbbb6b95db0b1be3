-- Daily reports by e-mail: staff gain an e-mail address; each company's
-- SMTP server and when its daily report goes out (the password is never
-- stored here: it comes from a file or the environment); every report
-- mailed to every recipient, with its attempts and the last error.

ALTER TABLE staff ADD COLUMN email TEXT NOT NULL DEFAULT '';

CREATE TABLE mail_settings (
    company_id    BIGINT PRIMARY KEY REFERENCES companies(id),
    host          TEXT NOT NULL,
    port          BIGINT NOT NULL,
    tls           TEXT NOT NULL,
    username      TEXT NOT NULL DEFAULT '',
    from_address  TEXT NOT NULL,
    report_at     TEXT NOT NULL,
    daily_report  BIGINT NOT NULL DEFAULT 1,
    updated_at    TEXT NOT NULL
);

CREATE TABLE report_mailings (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    day         TEXT NOT NULL,
    staff_id    BIGINT NOT NULL,
    address     TEXT NOT NULL,
    state       TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    next_at     TEXT NOT NULL,
    sent_at     TEXT,
    PRIMARY KEY (company_id, day, staff_id)
);
CREATE INDEX report_mailings_due ON report_mailings (state, next_at);
