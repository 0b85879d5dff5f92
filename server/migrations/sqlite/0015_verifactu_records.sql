-- VERI*FACTU (issue 20): the invoice records (registros de facturación) a
-- Spanish store's billing keeps, written in the same transaction as the
-- number they record and never changed afterwards.

-- A chain of records: one per organisation and issuer NIF. Each
-- organisation is its own installation of the billing system
-- (NumeroInstalacion), so a stranger claiming a merchant's NIF in another
-- organisation starts a chain of its own and never joins the merchant's.
-- The row is what writers lock to append to the chain, one after another.
CREATE TABLE verifactu_chains (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    issuer_nif TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (organisation_id, issuer_nif)
);

-- One row per record, alta or anulación, with the XML element exactly as
-- invoice::verifactu built it: what the AEAT receives and what the chain's
-- verification reads. The columns beside it are for finding records; the
-- XML is the record.
CREATE TABLE verifactu_records (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    store_id BIGINT NOT NULL REFERENCES stores (id),
    -- The invoice or credit note (a row of invoices of kind 'credit_note').
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    chain_id BIGINT NOT NULL REFERENCES verifactu_chains (id),
    -- 1, 2, 3… in the order the records were generated: the order of the
    -- chain, and the order they are sent in.
    sequence BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('alta', 'anulacion')),
    -- TipoFactura of an alta (F1, F2, R1…R5); NULL for an anulación.
    invoice_type TEXT CHECK ((kind = 'alta') = (invoice_type IS NOT NULL)),
    number TEXT NOT NULL,
    -- The invoice's date, YYYY-MM-DD.
    issue_date TEXT NOT NULL,
    huella TEXT NOT NULL,
    xml TEXT NOT NULL,
    -- When the record was generated, UTC milliseconds.
    generated_at BIGINT NOT NULL,
    UNIQUE (chain_id, sequence)
);
CREATE INDEX verifactu_records_by_invoice ON verifactu_records (organisation_id, invoice_id);

-- The records are unalterable, and the database says so to anyone, not
-- only to Invio's code: an UPDATE or DELETE is aborted.
CREATE TRIGGER verifactu_records_are_never_updated BEFORE UPDATE ON verifactu_records
BEGIN
    SELECT RAISE(ABORT, 'verifactu_records is append-only: a VERI*FACTU record is never updated');
END;
CREATE TRIGGER verifactu_records_are_never_deleted BEFORE DELETE ON verifactu_records
BEGIN
    SELECT RAISE(ABORT, 'verifactu_records is append-only: a VERI*FACTU record is never deleted');
END;
-- A chain's identity never changes either: its records would change owner.
CREATE TRIGGER verifactu_chains_are_never_updated BEFORE UPDATE ON verifactu_chains
BEGIN
    SELECT RAISE(ABORT, 'verifactu_chains is append-only: a VERI*FACTU chain is never updated');
END;
CREATE TRIGGER verifactu_chains_are_never_deleted BEFORE DELETE ON verifactu_chains
BEGIN
    SELECT RAISE(ABORT, 'verifactu_chains is append-only: a VERI*FACTU chain is never deleted');
END;
