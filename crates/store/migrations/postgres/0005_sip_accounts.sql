-- SIP accounts of staff phones. The password is never stored: `ha1` is
-- MD5(username:realm:password), all that digest authentication needs.
-- Usernames are unique in the whole instance (the registrar sees no company).

CREATE TABLE sip_accounts (
    username    TEXT PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    staff_id    BIGINT NOT NULL UNIQUE REFERENCES staff(id),
    ha1         TEXT NOT NULL
);
CREATE INDEX sip_accounts_company ON sip_accounts (company_id);
