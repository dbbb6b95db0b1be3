-- The handler's wrap-up code for an interaction: what the call was about
-- in the end (order_taken, information, complaint, callback, other).
ALTER TABLE interactions ADD COLUMN wrap_up TEXT NOT NULL DEFAULT '';
