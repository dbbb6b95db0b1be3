-- Web chat and channel capacity (issue "Every channel in one queue",
-- items 1 and 2): each company's channel settings, each chat's visitor
-- and session, and its transcript, message by message.

CREATE TABLE company_channels (
    company_id                  BIGINT PRIMARY KEY REFERENCES companies(id),
    chat_capacity               BIGINT NOT NULL,
    email_capacity              BIGINT NOT NULL,
    chat_service_level_seconds  BIGINT NOT NULL,
    -- Origins whose pages may carry the chat widget, one per line.
    chat_origins                TEXT NOT NULL,
    -- Canned answers the operators pick from, one per line.
    chat_canned                 TEXT NOT NULL
);

CREATE TABLE chat_sessions (
    interaction_id  BIGINT PRIMARY KEY REFERENCES interactions(id),
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    -- SHA-256 of the visitor's resume token (the token itself is never kept).
    token_hash      TEXT NOT NULL UNIQUE,
    visitor_name    TEXT NOT NULL,
    phone           TEXT NOT NULL,
    email           TEXT NOT NULL,
    origin          TEXT NOT NULL,
    -- The last message of the other side each has read.
    agent_read      BIGINT NOT NULL DEFAULT 0,
    visitor_read    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE chat_messages (
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    interaction_id  BIGINT NOT NULL REFERENCES interactions(id),
    seq             BIGINT NOT NULL,
    at              TEXT NOT NULL,
    -- visitor, agent or system
    author          TEXT NOT NULL,
    staff_id        BIGINT,
    body            TEXT NOT NULL,
    PRIMARY KEY (company_id, interaction_id, seq)
);
