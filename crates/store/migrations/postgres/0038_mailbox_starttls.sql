-- A mailbox read over STARTTLS (issue "Every channel in one queue", item
-- 3): imap_tls may now be none, starttls or tls; a server whose
-- certificate chains to a private CA names that CA's PEM file here
-- (empty: the public roots only).

ALTER TABLE company_mailboxes ADD COLUMN imap_ca_file TEXT NOT NULL DEFAULT '';
