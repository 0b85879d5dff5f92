-- The FatturaPA file of each issued invoice of an Italian store (issue 19),
-- built at issue in the same transaction as the number and never changed:
-- what is downloaded and what goes to SdI are the same bytes.
CREATE TABLE fatturapa_files (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    invoice_id BIGINT NOT NULL UNIQUE REFERENCES invoices (id),
    -- The sender's partita IVA and its file's progressive: SdI refuses a
    -- second file of the same name (IT{partita_iva}_{progressive}.xml).
    partita_iva TEXT NOT NULL,
    progressive TEXT NOT NULL,
    file_name TEXT NOT NULL,
    xml TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (partita_iva, progressive)
);
CREATE INDEX fatturapa_files_by_name ON fatturapa_files (file_name);

-- The last progressive used per sender (partita IVA), counted like the
-- invoice numbers: the row stays locked until the issue commits.
CREATE TABLE fatturapa_progressives (
    partita_iva TEXT PRIMARY KEY,
    last_number BIGINT NOT NULL
);
