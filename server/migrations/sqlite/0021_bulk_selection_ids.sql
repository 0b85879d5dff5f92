-- The invoices of each selection, kept when it is claimed: a selection whose
-- first request stopped before keeping its outcome (the process restarted,
-- the request was dropped) is taken over and finished by the next
-- submission of the same form or a reload of its outcome page. NULL for
-- selections claimed before this column existed.
ALTER TABLE bulk_actions ADD COLUMN invoice_ids TEXT;
