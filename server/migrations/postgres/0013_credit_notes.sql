-- Credit notes (issue 19): a credit note is a row of invoices of kind
-- 'credit_note', issued at once, that corrects one issued invoice of the same
-- organisation, store, customer and currency, so links, sending, the edge,
-- the PDF and the history serve it as they serve an invoice.
ALTER TABLE invoices ADD COLUMN kind TEXT NOT NULL DEFAULT 'invoice';
ALTER TABLE invoices ADD COLUMN corrects_invoice_id BIGINT REFERENCES invoices (id);
-- On an invoice: the sum of its credit notes, kept with them in one
-- transaction (as paid_minor is with the payments).
ALTER TABLE invoices ADD COLUMN credited_minor BIGINT NOT NULL DEFAULT 0;
-- On a credit note: what it credits of each of the invoice's lines
-- (JSON of invoice::credit_note::LineCredit).
ALTER TABLE invoices ADD COLUMN credits TEXT;
-- What the invoice's PDF at the edge shows as credited (as
-- published_paid_minor for what is paid): a credit note renders it again.
ALTER TABLE invoices ADD COLUMN published_credited_minor BIGINT NOT NULL DEFAULT 0;
CREATE INDEX invoices_by_corrected ON invoices (corrects_invoice_id) WHERE corrects_invoice_id IS NOT NULL;

-- Credit notes are numbered in a gapless series of their own per store and
-- year, taken as number_series is, in the issuing transaction.
CREATE TABLE credit_note_series (
    store_id BIGINT NOT NULL REFERENCES stores (id),
    year BIGINT NOT NULL,
    last_number BIGINT NOT NULL,
    PRIMARY KEY (store_id, year)
);
