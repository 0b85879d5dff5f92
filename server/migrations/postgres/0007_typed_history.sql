-- The history becomes typed (invoice::history): each entry keeps its kind
-- and a JSON detail, and whether it counts as the customer's open is stored
-- as ingest decided it, not derived again by each query.

ALTER TABLE events ADD COLUMN counts_as_open BIGINT NOT NULL DEFAULT 0;
UPDATE events SET counts_as_open = 1
 WHERE kind = 'opened' AND automated = 0 AND recipient = 'customer';
CREATE INDEX events_opens ON events (invoice_id, at) WHERE counts_as_open = 1;

UPDATE events SET detail = json_build_object('number', COALESCE(detail, ''))::text
 WHERE kind = 'issued';

-- "{minor} {currency} {method}".
UPDATE events SET detail = json_build_object(
        'amount_minor', CAST(split_part(detail, ' ', 1) AS BIGINT),
        'currency', split_part(detail, ' ', 2),
        'method', split_part(detail, ' ', 3))::text
 WHERE kind IN ('payment_recorded', 'payment_deleted');

-- Queued emails and revoked links kept the address alone.
UPDATE events SET detail = json_build_object('address', COALESCE(detail, ''))::text
 WHERE kind IN ('link_revoked', 'email_queued', 'reminder_queued', 'notice_queued');

-- What happened next kept "{address}: {the mail server's reply}".
UPDATE events SET detail = CASE
        WHEN strpos(detail, ': ') > 0 THEN json_build_object(
            'address', substr(detail, 1, strpos(detail, ': ') - 1),
            'reply', substr(detail, strpos(detail, ': ') + 2))::text
        ELSE json_build_object('address', COALESCE(detail, ''))::text
    END
 WHERE kind IN ('email_sent', 'email_retrying', 'email_failed', 'email_cancelled',
                'reminder_sent', 'reminder_retrying', 'reminder_failed', 'reminder_cancelled',
                'notice_sent', 'notice_retrying', 'notice_failed', 'notice_cancelled');
