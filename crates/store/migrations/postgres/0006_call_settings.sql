-- Per-company telephony settings: the IVR menu as data (JSON as the API
-- takes it; NULL: the default menu) and how long recordings are kept
-- (days; 0: forever).

CREATE TABLE call_settings (
    company_id                BIGINT PRIMARY KEY REFERENCES companies(id),
    ivr                       TEXT,
    recording_retention_days  BIGINT NOT NULL DEFAULT 0
);
