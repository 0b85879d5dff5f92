-- Timestamps are Unix milliseconds, UTC. Dates printed on invoices are TEXT YYYY-MM-DD.
CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE stores (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    tax_id TEXT,
    currency TEXT NOT NULL,
    language TEXT NOT NULL,
    reply_to TEXT,
    created_at BIGINT NOT NULL
);

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
    email TEXT NOT NULL,
    language TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    store_id BIGINT NOT NULL REFERENCES stores (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    status TEXT NOT NULL,
    number TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    document TEXT NOT NULL,
    edge_key TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    UNIQUE (store_id, number)
);
CREATE INDEX invoices_by_organisation ON invoices (organisation_id, id);

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
    at BIGINT NOT NULL
);
CREATE INDEX events_by_invoice ON events (invoice_id, at);
