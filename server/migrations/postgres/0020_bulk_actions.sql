-- One row per selection a merchant submitted for a bulk send or reminder,
-- under the key of that selection (`invoice::bulk::selection_key`): the
-- first request inserts it (ON CONFLICT DO NOTHING decides who works), a
-- second click of the same form finds it and shows its outcome. `outcome`
-- (`invoice::bulk::BulkReport` as JSON) is NULL while the first still works.
CREATE TABLE bulk_actions (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    selection_key TEXT NOT NULL,
    action TEXT NOT NULL,
    requested_by BIGINT REFERENCES users (id),
    outcome TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, selection_key)
);

-- The accountant's export reads an organisation's payments and history by
-- period, a page at a time.
CREATE INDEX payments_by_organisation_date ON payments (organisation_id, paid_on, id);
CREATE INDEX events_by_organisation_time ON events (organisation_id, at, id);
