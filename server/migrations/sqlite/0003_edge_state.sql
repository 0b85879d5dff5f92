-- The customer-visible state of an invoice (status, payments, history,
-- revoked links) is published to the edge after each change: every event
-- bumps state_version, and the publisher catches published_state_version up.
ALTER TABLE invoices ADD COLUMN state_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN published_state_version BIGINT NOT NULL DEFAULT 0;
-- The PDF at the edge shows what was paid when it was rendered: a payment
-- publishes it again.
ALTER TABLE invoices ADD COLUMN published_paid_minor BIGINT;
CREATE INDEX invoices_state_to_publish ON invoices (id) WHERE state_version > published_state_version;

-- Bumped by every event of the organisation's invoices: the admin's open
-- pages follow it (server-sent events) to refresh when something happened.
ALTER TABLE organisations ADD COLUMN change_version BIGINT NOT NULL DEFAULT 0;
