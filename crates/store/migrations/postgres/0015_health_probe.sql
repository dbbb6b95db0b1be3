-- One row that /healthz writes: a database that answers reads but cannot
-- write (a full disk) is not healthy.
CREATE TABLE health_probe (
    id  BIGINT PRIMARY KEY,
    at  TEXT NOT NULL
);
