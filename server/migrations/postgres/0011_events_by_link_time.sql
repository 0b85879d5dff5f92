-- Ingest reads the visits of a send's other links around a moment (whether
-- recipients were visited in step): by link and time, not by every entry of
-- the link.
CREATE INDEX events_by_link_time ON events (link_id, at);
