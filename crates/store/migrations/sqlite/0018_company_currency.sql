-- The currency a company's prices and debts are in (ISO 4217), for the
-- pages to format money in: BAM (the convertible mark) unless set.
ALTER TABLE companies ADD COLUMN currency TEXT NOT NULL DEFAULT 'BAM';
