-- Each company's IANA time zone (e.g. Europe/Sarajevo): opening hours,
-- "today" and every time shown to a person are in it. Empty: the
-- configured default.
ALTER TABLE companies ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
