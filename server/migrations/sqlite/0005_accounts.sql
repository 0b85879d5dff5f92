-- Sign-in attempts are counted before the password is checked, one row per
-- account (`account:<email>`) and per network (`network:<address>`), each
-- bumped by one atomic upsert: parallel attempts each get their own count.
-- Account emails sent to an address (`mail:<email>`) are counted the same way.
DROP TABLE login_attempts;
CREATE TABLE attempt_counters (
    name TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    attempts BIGINT NOT NULL
);
CREATE INDEX attempt_counters_by_window ON attempt_counters (window_start);

-- A new account confirms its address before it can send invoice emails;
-- accounts made before this are taken as confirmed.
ALTER TABLE users ADD COLUMN email_confirmed_at BIGINT;
UPDATE users SET email_confirmed_at = created_at;
-- Removed staff keep their row: invoices and payments name who made them.
ALTER TABLE users ADD COLUMN removed_at BIGINT;

-- Links emailed to confirm an address or reset a password: SHA-256 of the
-- token only, single use, with an expiry.
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    -- confirm_email | reset_password
    purpose TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX account_tokens_by_user ON account_tokens (user_id);

-- Ending a user's sessions (password changed, staff removed) finds them by user.
CREATE INDEX sessions_by_user ON sessions (user_id);
