-- The company's named queues besides the operator queue, as data (JSON as
-- the API takes it: an object of queue name to its settings and members;
-- NULL: none).

ALTER TABLE call_settings ADD COLUMN queues TEXT;
