-- How SdI reaches a customer of an Italian store (issue 19): codice fiscale,
-- codice destinatario (NULL for 0000000) and PEC address, all optional.
ALTER TABLE customers ADD COLUMN codice_fiscale TEXT;
ALTER TABLE customers ADD COLUMN codice_destinatario TEXT;
ALTER TABLE customers ADD COLUMN pec TEXT;
