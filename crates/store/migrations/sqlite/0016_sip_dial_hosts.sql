-- The hosts a company's click-to-call may name in a sip: address (one per
-- line); none: only phone numbers, through the trunk.
ALTER TABLE companies ADD COLUMN sip_dial_hosts TEXT NOT NULL DEFAULT '';
