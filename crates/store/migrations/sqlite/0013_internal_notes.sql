-- Notes the handler (or a supervisor) marked internal: read only by
-- supervisors, heads and admins, never by other operators (least privilege).
ALTER TABLE interactions ADD COLUMN notes_internal BIGINT NOT NULL DEFAULT 0;
