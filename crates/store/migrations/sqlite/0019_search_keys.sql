-- Names folded for search (centrala_domain::fold: case, diacritics and
-- Cyrillic folded, so "cacak" finds Čačak); filled by every write and,
-- for rows written before this release, once at start.
ALTER TABLE clients ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
