-- What happened during an interaction, in order: who was offered it, who
-- missed it, who answered, transfers. The interaction row keeps the summary.

CREATE TABLE interaction_events (
    id              BIGSERIAL PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    interaction_id  BIGINT NOT NULL REFERENCES interactions(id),
    at              TEXT NOT NULL,
    kind            TEXT NOT NULL,
    staff_id        BIGINT REFERENCES staff(id),
    detail          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX interaction_events_of ON interaction_events (company_id, interaction_id, id);
