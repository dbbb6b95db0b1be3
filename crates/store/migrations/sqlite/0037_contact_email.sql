-- Contacts gain e-mail addresses (issue "Every channel in one queue",
-- item 3): a message from a contact's address identifies its client as the
-- client's own address does, and reference information can go to it.

ALTER TABLE contacts ADD COLUMN email TEXT NOT NULL DEFAULT '';
CREATE INDEX contacts_email ON contacts (company_id, LOWER(email));
CREATE INDEX clients_email ON clients (company_id, LOWER(email));
