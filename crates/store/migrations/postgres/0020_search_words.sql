-- Word-prefix search (centrala_domain::fold::words): every folded word of
-- a client's name and code, or a product's name, category and sku, in its
-- own row, so that a typed word is a range read on an index (fast at any
-- size, on both backends), not a scan of every name. COLLATE "C": words
-- compare byte by byte, so a prefix is a range.
CREATE TABLE search_words (
    company_id BIGINT NOT NULL,
    kind TEXT NOT NULL,          -- 'client' | 'product'
    word TEXT COLLATE "C" NOT NULL,
    entity_id BIGINT NOT NULL,
    PRIMARY KEY (company_id, kind, word, entity_id)
);
CREATE INDEX search_words_entity ON search_words (company_id, kind, entity_id);

-- One-typo tolerance by symmetric delete: each indexed word of letters
-- (4+) under itself and under every form with one letter left out. Two
-- words one edit apart meet under one variant; the store checks the edit.
-- Rows for words no longer used are harmless (they lead to no entity).
CREATE TABLE search_typos (
    company_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    variant TEXT COLLATE "C" NOT NULL,
    word TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (company_id, kind, variant, word)
);

-- The folded whole name of 0019, matched by LIKE over every row, gives way
-- to the words above.
ALTER TABLE clients DROP COLUMN search_key;
ALTER TABLE products DROP COLUMN search_key;
