-- Times in the store's time zone (issue 18): an IANA name the store's
-- settings offer (invoice::time_zone). The settings' JSON holds it too; this
-- column is the copy the invoice list joins on, and what is read back.
-- Existing stores take the zone of their language, as new ones do.
ALTER TABLE stores ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
UPDATE stores SET time_zone = CASE json_extract(settings, '$.language')
        WHEN 'it' THEN 'Europe/Rome'
        WHEN 'es' THEN 'Europe/Madrid'
        ELSE 'Europe/London'
    END;
UPDATE stores SET settings = json_set(settings, '$.time_zone', time_zone);
