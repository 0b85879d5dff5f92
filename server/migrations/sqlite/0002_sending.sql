-- Sending (issue 4): a send request per dialog send, automatic send or
-- reminder, holding the idempotency key; outbox rows for customers, copies
-- and failure notices; links published to the edge by the dispatcher.
CREATE TABLE send_requests (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    -- Prefixed with the organisation: a double-click or a retried request sends once.
    idempotency_key TEXT NOT NULL UNIQUE,
    -- invoice | reminder
    purpose TEXT NOT NULL,
    -- Days from the due date, for a reminder sent by the store's schedule.
    reminder_step BIGINT,
    requested_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX send_requests_by_invoice ON send_requests (invoice_id, id);

-- Each email sent before this migration was a send of its own, under the
-- same (organisation-prefixed) key.
INSERT INTO send_requests (organisation_id, invoice_id, idempotency_key, purpose, created_at)
SELECT organisation_id, invoice_id, idempotency_key, 'invoice', created_at FROM outbox;

-- Links written before this migration were published when they were made.
ALTER TABLE links ADD COLUMN published_at BIGINT;
UPDATE links SET published_at = created_at;

-- SQLite cannot drop NOT NULL from a column: the outbox is rebuilt.
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    request_id BIGINT REFERENCES send_requests (id),
    -- customer | copy | notice (to the merchant, about a failed email)
    audience TEXT NOT NULL,
    -- invoice | reminder | notice
    purpose TEXT NOT NULL,
    -- NULL for notices, which carry no customer link.
    link_id TEXT REFERENCES links (id),
    -- The email whose failure a notice reports.
    notice_for BIGINT,
    to_address TEXT NOT NULL,
    reply_to TEXT,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    -- a4 | receipt when the store attaches the PDF.
    attach_layout TEXT,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_reply TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
INSERT INTO outbox_new (id, organisation_id, invoice_id, request_id, audience, purpose, link_id, to_address, reply_to, subject, body_text, body_html,
                        status, attempts, next_attempt_at, lease_until, last_reply, created_at, sent_at)
SELECT o.id, o.organisation_id, o.invoice_id, r.id, 'customer', 'invoice', o.link_id, o.to_address, o.reply_to, o.subject, o.body_text, o.body_html,
       o.status, o.attempts, o.next_attempt_at, o.lease_until, o.last_reply, o.created_at, o.sent_at
FROM outbox o JOIN send_requests r ON r.idempotency_key = o.idempotency_key;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_by_invoice ON outbox (invoice_id, audience, id);
