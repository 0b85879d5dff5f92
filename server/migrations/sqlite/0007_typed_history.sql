-- The history becomes typed (invoice::history): each entry keeps its kind
-- and a JSON detail, and whether it counts as the customer's open is stored
-- as ingest decided it, not derived again by each query.

ALTER TABLE events ADD COLUMN counts_as_open INTEGER NOT NULL DEFAULT 0;
UPDATE events SET counts_as_open = 1
 WHERE kind = 'opened' AND automated = 0 AND recipient = 'customer';
CREATE INDEX events_opens ON events (invoice_id, at) WHERE counts_as_open = 1;

UPDATE events SET detail = json_object('number', COALESCE(detail, ''))
 WHERE kind = 'issued';

-- "{minor} {currency} {method}"; currency codes are three letters.
UPDATE events SET detail = json_object(
        'amount_minor', CAST(substr(detail, 1, instr(detail, ' ') - 1) AS INTEGER),
        'currency', substr(detail, instr(detail, ' ') + 1, 3),
        'method', substr(detail, instr(detail, ' ') + 5))
 WHERE kind IN ('payment_recorded', 'payment_deleted');

-- Queued emails and revoked links kept the address alone.
UPDATE events SET detail = json_object('address', COALESCE(detail, ''))
 WHERE kind IN ('link_revoked', 'email_queued', 'reminder_queued', 'notice_queued');

-- What happened next kept "{address}: {the mail server's reply}".
UPDATE events SET detail = CASE
        WHEN instr(detail, ': ') > 0 THEN json_object(
            'address', substr(detail, 1, instr(detail, ': ') - 1),
            'reply', substr(detail, instr(detail, ': ') + 2))
        ELSE json_object('address', COALESCE(detail, ''))
    END
 WHERE kind IN ('email_sent', 'email_retrying', 'email_failed', 'email_cancelled',
                'reminder_sent', 'reminder_retrying', 'reminder_failed', 'reminder_cancelled',
                'notice_sent', 'notice_retrying', 'notice_failed', 'notice_cancelled');
