-- One schema for SQLite and Postgres (the Postgres file differs only in its
-- identity columns). Timestamps are Unix milliseconds, UTC; calendar dates
-- printed on invoices are TEXT YYYY-MM-DD. Money is integer minor units.
CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    -- Stored lowercased: one account per address across Invio.
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    language TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX users_by_organisation ON users (organisation_id, id);

CREATE TABLE sessions (
    -- SHA-256 of the cookie's token: a leaked table does not log anyone in.
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_attempts_by_email ON login_attempts (email, at);
CREATE INDEX login_attempts_by_ip ON login_attempts (ip, at);

CREATE TABLE stores (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    currency TEXT NOT NULL,
    -- The store's full settings (invoice::store::StoreSettings) as JSON; the
    -- columns above are copies the lists sort and join on.
    settings TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX stores_by_organisation ON stores (organisation_id, id);

CREATE TABLE number_series (
    store_id BIGINT NOT NULL REFERENCES stores (id),
    year BIGINT NOT NULL,
    last_number BIGINT NOT NULL,
    PRIMARY KEY (store_id, year)
);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    -- Lowercased copies for case-insensitive search on both engines.
    search_name TEXT NOT NULL,
    email TEXT,
    language TEXT NOT NULL,
    tax_id TEXT,
    address TEXT NOT NULL,
    email_invoices BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX customers_by_name ON customers (organisation_id, search_name, id);

CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    store_id BIGINT NOT NULL REFERENCES stores (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    -- draft | issued | void; paid, partially paid and overdue are derived.
    lifecycle TEXT NOT NULL,
    -- NULL until issued; then the store's next number for the year.
    number TEXT,
    issue_date TEXT,
    due_date TEXT,
    -- What the list sorts by date: the issue date, or the draft's creation day.
    sort_date TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    -- Sum of the payments not deleted, kept with them in one transaction.
    paid_minor BIGINT NOT NULL DEFAULT 0,
    -- The draft's lines and notes (JSON); frozen into `document` at issue.
    lines TEXT NOT NULL,
    notes TEXT NOT NULL,
    document TEXT,
    -- Lowercased customer name and number, for the list's text filter.
    search_text TEXT NOT NULL,
    customer_name TEXT NOT NULL,
    edge_key TEXT NOT NULL UNIQUE,
    -- Bumped by every save: a save based on an older version is refused.
    version BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT REFERENCES users (id),
    issued_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (store_id, number)
);
CREATE INDEX invoices_by_date ON invoices (organisation_id, sort_date, id);
CREATE INDEX invoices_by_id ON invoices (organisation_id, id);
CREATE INDEX invoices_by_total ON invoices (organisation_id, total_minor, id);
CREATE INDEX invoices_by_customer ON invoices (organisation_id, customer_name, id);

CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    amount_minor BIGINT NOT NULL,
    paid_on TEXT NOT NULL,
    method TEXT NOT NULL,
    reference TEXT NOT NULL,
    recorded_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    -- Deleted payments stay, marked, so the history keeps them.
    deleted_at BIGINT,
    deleted_by BIGINT REFERENCES users (id)
);
CREATE INDEX payments_by_invoice ON payments (invoice_id, id);

CREATE TABLE links (
    id TEXT PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    recipient TEXT NOT NULL,
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX links_by_invoice ON links (invoice_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    link_id TEXT NOT NULL REFERENCES links (id),
    idempotency_key TEXT NOT NULL UNIQUE,
    to_address TEXT NOT NULL,
    reply_to TEXT,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_reply TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_by_invoice ON outbox (invoice_id, id);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    link_id TEXT,
    kind TEXT NOT NULL,
    automated BIGINT NOT NULL DEFAULT 0,
    recipient TEXT,
    device TEXT,
    browser TEXT,
    detail TEXT,
    user_id BIGINT REFERENCES users (id),
    at BIGINT NOT NULL
);
CREATE INDEX events_by_invoice ON events (invoice_id, at);
