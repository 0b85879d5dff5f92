-- Bounded by design (issue 16). Repeats of one event through one link are
-- one row (invoice::repeats): the row keeps its first event's id and time in
-- `id` and `at`, the last one's time and how many there were.
ALTER TABLE events ADD COLUMN last_at BIGINT;
ALTER TABLE events ADD COLUMN repeat_count BIGINT NOT NULL DEFAULT 1;
CREATE INDEX events_repeats ON events (link_id, kind, automated, at);

-- The event batches the edge delivered, by a digest of their event ids: a
-- batch delivered again (its answer was lost, so the edge queued it) must
-- not count its merged repeats twice. Kept for the edge's retry horizon.
CREATE TABLE edge_batches (
    digest TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL
);
CREATE INDEX edge_batches_by_age ON edge_batches (received_at);

-- An invoice whose state the edge refused, or could not take, waits on its
-- own (backing off) while the others are published.
ALTER TABLE invoices ADD COLUMN publish_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN publish_retry_at BIGINT NOT NULL DEFAULT 0;

-- Fresh links sent in place of a revoked link, over its whole life.
ALTER TABLE links ADD COLUMN fresh_links_sent BIGINT NOT NULL DEFAULT 0;
