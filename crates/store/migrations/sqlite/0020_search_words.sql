-- Word-prefix search (centrala_domain::fold::words): every folded word of
-- a client's name and code, or a product's name, category and sku, in its
-- own row, so that a typed word is a range read on an index (fast at any
-- size, on both backends), not a scan of every name.
CREATE TABLE search_words (
    company_id INTEGER NOT NULL,
    kind TEXT NOT NULL,          -- 'client' | 'product'
    word TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    PRIMARY KEY (company_id, kind, word, entity_id)
) WITHOUT ROWID;
CREATE INDEX search_words_entity ON search_words (company_id, kind, entity_id);

-- One-typo tolerance by symmetric delete: each indexed word of letters
-- (4+) under itself and under every form with one letter left out. Two
-- words one edit apart meet under one variant; the store checks the edit.
-- Rows for words no longer used are harmless (they lead to no entity).
CREATE TABLE search_typos (
    company_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    variant TEXT NOT NULL,
    word TEXT NOT NULL,
    PRIMARY KEY (company_id, kind, variant, word)
) WITHOUT ROWID;

-- The folded whole name of 0019, matched by LIKE over every row, gives way
-- to the words above.
ALTER TABLE clients DROP COLUMN search_key;
ALTER TABLE products DROP COLUMN search_key;
