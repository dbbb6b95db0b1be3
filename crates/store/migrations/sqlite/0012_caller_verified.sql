-- Whether the caller's number was vouched for by a trusted peer (a trunk's
-- P-Asserted-Identity, or any call from a trusted peer): 0 when anyone
-- could have written it (From from an untrusted source).
ALTER TABLE interactions ADD COLUMN caller_verified BIGINT NOT NULL DEFAULT 1;
