-- Sending limits (issue 16): a daily quota per organisation and confirmed
-- addresses for the copies and failure notices a store sends.

-- The operator's own limit for one organisation; NULL: DAILY_EMAIL_QUOTA.
ALTER TABLE organisations ADD COLUMN daily_email_quota BIGINT;

-- Today's emails of an organisation are counted when a send is queued.
CREATE INDEX outbox_by_organisation_day ON outbox (organisation_id, created_at);

-- An address that receives copies or failure notices on a merchant's behalf
-- gets nothing until its owner confirms it. Only the token's hash is kept.
CREATE TABLE recipient_confirmations (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    -- Lower case: one row per address and organisation.
    address TEXT NOT NULL,
    token_hash TEXT,
    requested_at BIGINT NOT NULL,
    -- Confirmation emails sent to the address, for the resend limit.
    mails_sent BIGINT NOT NULL DEFAULT 0,
    confirmed_at BIGINT,
    UNIQUE (organisation_id, address)
);
CREATE UNIQUE INDEX recipient_confirmations_by_token ON recipient_confirmations (token_hash);

-- Addresses merchants chose before confirmations existed keep receiving.
INSERT OR IGNORE INTO recipient_confirmations (organisation_id, address, token_hash, requested_at, mails_sent, confirmed_at)
SELECT DISTINCT s.organisation_id, lower(a.value), NULL, s.updated_at, 0, s.updated_at
FROM stores s, json_each(s.settings, '$.copies_to') a
UNION
SELECT DISTINCT s.organisation_id, lower(a.value), NULL, s.updated_at, 0, s.updated_at
FROM stores s, json_each(s.settings, '$.failure_notify') a;

-- Emails are stored without their link's token (it is signed in when the
-- email is sent); those already sent drop the bodies that still hold one.
UPDATE outbox SET body_text = '', body_html = '' WHERE link_id IS NOT NULL AND status <> 'pending';
