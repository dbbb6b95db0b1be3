-- E-mail (issue "Every channel in one queue", item 3): each company's
-- mailbox read over IMAP (where it stands, how it fails), every message of
-- every e-mail conversation in and out with its threading ids, and their
-- attachments; the outbox gains the threading headers of a reply.

CREATE TABLE company_mailboxes (
    company_id      BIGINT PRIMARY KEY REFERENCES companies(id),
    -- The company's address: replies go out from it.
    address         TEXT NOT NULL,
    imap_host       TEXT NOT NULL,
    imap_port       BIGINT NOT NULL,
    -- none or tls (implicit, port 993)
    imap_tls        TEXT NOT NULL,
    username        TEXT NOT NULL,
    -- Where the password is read from: an environment variable or a file.
    password_env    TEXT NOT NULL,
    password_file   TEXT NOT NULL,
    folder          TEXT NOT NULL,
    -- The largest message kept whole (bytes); larger: headers and a note.
    max_bytes       BIGINT NOT NULL,
    uid_validity    BIGINT NOT NULL DEFAULT 0,
    last_uid        BIGINT NOT NULL DEFAULT 0,
    -- ok, failing (last_error says why; retried with backoff) or new
    state           TEXT NOT NULL DEFAULT 'new',
    last_error      TEXT NOT NULL DEFAULT '',
    failures        BIGINT NOT NULL DEFAULT 0,
    checked_at      TEXT
);

CREATE TABLE email_messages (
    id              INTEGER PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    interaction_id  BIGINT NOT NULL REFERENCES interactions(id),
    -- in or out
    direction       TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    in_reply_to     TEXT NOT NULL,
    -- The References, one per line.
    refs            TEXT NOT NULL,
    from_address    TEXT NOT NULL,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    -- A note of what was not kept (too large, an encoding that did not read).
    note            TEXT NOT NULL,
    at              TEXT NOT NULL,
    staff_id        BIGINT
);
CREATE UNIQUE INDEX email_messages_id ON email_messages (company_id, message_id, direction);
CREATE INDEX email_messages_interaction ON email_messages (company_id, interaction_id);

CREATE TABLE email_attachments (
    id              INTEGER PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    email_id        BIGINT NOT NULL REFERENCES email_messages(id),
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            BIGINT NOT NULL,
    data            BLOB NOT NULL
);
CREATE INDEX email_attachments_email ON email_attachments (company_id, email_id);

ALTER TABLE mail_outbox ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
ALTER TABLE mail_outbox ADD COLUMN in_reply_to TEXT NOT NULL DEFAULT '';
ALTER TABLE mail_outbox ADD COLUMN refs TEXT NOT NULL DEFAULT '';
