-- Telling the merchant when a customer first really opens or downloads an
-- invoice (invoice::notifications). Each user's choice: by email at once, in
-- a daily digest or not at all (NULL: the default the domain decides), and
-- live in the admin's open pages (NULL: on).
ALTER TABLE users ADD COLUMN notify_email TEXT;
ALTER TABLE users ADD COLUMN notify_live BIGINT;

-- One row per invoice, kind (opened | downloaded) and user told: the unique
-- key is what makes a notice at most once, however often the batch that
-- brought it is ingested and by however many server instances. `email` and
-- `live` keep the user's choice when it happened.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    happened_at BIGINT NOT NULL,
    -- immediately | daily | off
    email TEXT NOT NULL,
    live BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- The UTC day (YYYY-MM-DD) of the digest that listed it.
    digested_on TEXT,
    UNIQUE (invoice_id, user_id, kind)
);
CREATE INDEX notifications_live ON notifications (organisation_id, id);
CREATE INDEX notifications_digest ON notifications (email, digested_on, user_id);

-- At most one digest per user per UTC day: the first server instance to
-- insert the day's row sends it.
CREATE TABLE notification_digests (
    user_id BIGINT NOT NULL REFERENCES users (id),
    day TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, day)
);
