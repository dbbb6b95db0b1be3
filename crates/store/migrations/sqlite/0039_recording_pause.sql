-- Record pause (issue "The call lives in the browser", item 2): whether
-- the company lets an operator pause the recording for a sensitive moment
-- (1) or not (0, the default). The pause and the resume are in the call's
-- story; the recording has silence there.

ALTER TABLE call_settings ADD COLUMN recording_pause_allowed INTEGER NOT NULL DEFAULT 0;
