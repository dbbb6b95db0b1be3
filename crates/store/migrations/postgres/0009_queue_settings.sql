-- The company's queue settings as data (JSON as the API takes it; NULL:
-- the defaults): ring timeout, wrap-up, maximum wait and where callers go
-- then, how often waiting callers hear their position, the callback offer.

ALTER TABLE call_settings ADD COLUMN queue TEXT;
