-- The legal invoice through SdI by PEC (issue 19, item 4).

-- A store's certified mailbox: the address SdI knows it by, the SMTP server
-- the invoices leave by, and the IMAP server SdI's receipts are read from
-- (one account for both, as PEC providers give it). The password is never
-- sent back to the browser. `failures`, `last_error` and `failing_since`
-- report a mailbox that cannot be read; `next_read_at` backs it off alone.
CREATE TABLE pec_mailboxes (
    store_id BIGINT PRIMARY KEY REFERENCES stores (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    pec_address TEXT NOT NULL,
    smtp_url TEXT NOT NULL,
    imap_host TEXT NOT NULL,
    imap_port BIGINT NOT NULL,
    username TEXT NOT NULL,
    password TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    next_read_at BIGINT NOT NULL DEFAULT 0,
    last_read_at BIGINT,
    failures BIGINT NOT NULL DEFAULT 0,
    failing_since BIGINT,
    last_error TEXT
);
CREATE INDEX pec_mailboxes_due ON pec_mailboxes (next_read_at);

-- One FatturaPA file sent to SdI: what receipts are matched against, by the
-- file's name without its extension (`file_base`, unique per
-- organisation: SdI refuses a name twice) and SdI's identifier once known.
-- state: queued | transmitted | failed | delivered | not_delivered |
-- rejected | accepted | refused | terms_elapsed | attested
CREATE TABLE sdi_transmissions (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    store_id BIGINT NOT NULL REFERENCES stores (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    file_name TEXT NOT NULL,
    file_base TEXT NOT NULL,
    progressive TEXT NOT NULL,
    xml TEXT NOT NULL,
    state TEXT NOT NULL,
    sdi_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (organisation_id, file_base)
);
CREATE INDEX sdi_transmissions_by_invoice ON sdi_transmissions (invoice_id, id);

-- Every receipt recorded, matched or not, once: the same message read
-- twice (a mailbox marked seen late, an upload of a file already read) is
-- one row and one history entry. `identity` is SdI's identifier, the
-- message's kind and its MessageId. A receipt that matches no transmission
-- keeps `transmission_id` NULL and is shown to the owner until it is
-- assigned to an invoice (`assigned_invoice_id`).
CREATE TABLE sdi_receipts (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    store_id BIGINT REFERENCES stores (id),
    identity TEXT NOT NULL,
    transmission_id BIGINT REFERENCES sdi_transmissions (id),
    assigned_invoice_id BIGINT REFERENCES invoices (id),
    kind TEXT NOT NULL,
    sdi_id TEXT NOT NULL,
    invoice_file TEXT NOT NULL,
    -- The message's own file name (IT…_RC_001.xml), when it came with one.
    message_file TEXT,
    -- How it came: mailbox | upload
    source TEXT NOT NULL,
    receipt TEXT NOT NULL,
    xml TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (organisation_id, identity)
);
CREATE INDEX sdi_unmatched_receipts ON sdi_receipts (organisation_id, transmission_id, assigned_invoice_id);

-- The outbox row that carries a transmission to SdI's PEC address.
ALTER TABLE outbox ADD COLUMN sdi_transmission_id BIGINT REFERENCES sdi_transmissions (id);
