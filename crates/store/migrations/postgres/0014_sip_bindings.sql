-- Where each staff phone is registered (RFC 3261 §10), kept so that a
-- restart is invisible to phones: the registrar reloads the bindings that
-- have not expired. Written after every REGISTER.
CREATE TABLE sip_bindings (
    username    TEXT NOT NULL,
    contact     TEXT NOT NULL,
    source      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (username, contact)
);
