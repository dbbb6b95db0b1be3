-- Who works a campaign: its named operators, and the members of this
-- queue of the company ('operators': every operator and supervisor, and
-- the queue's members); empty: the named operators only.
ALTER TABLE campaigns ADD COLUMN queue TEXT NOT NULL DEFAULT '';
