-- VERI*FACTU (issue 20, item 4): sending the records to the AEAT. Mutable
-- state lives here, apart from the append-only records of 0015: what was
-- sent, what the AEAT answered, and when each chain may send next.

-- A store's certificate, with which Invio authenticates to the AEAT (client
-- TLS), kept as the PEC mailbox's password is (0014): in the database,
-- never sent back to the browser. `certificate_pem` holds the certificate
-- first, then the chain the file came with; `private_key_pem` its key. The
-- rest is read from the certificate once, to show it.
CREATE TABLE verifactu_certificates (
    store_id BIGINT PRIMARY KEY REFERENCES stores (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    certificate_pem TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- The NIF the certificate names (its holder's, or the entity's), if any.
    nif TEXT,
    issuer TEXT NOT NULL,
    not_before BIGINT NOT NULL,
    not_after BIGINT NOT NULL,
    uploaded_at BIGINT NOT NULL
);

-- When each chain may send next and how its last sends went. A chain with
-- records and no row here has never sent: it may send at once.
-- `answered_through` is the queue's cursor: every record of the chain up to
-- this sequence has the AEAT's answer; the next send starts after it. It
-- moves only in the transaction that records the answers, so a crash after
-- sending and before recording sends the same records again, and the AEAT
-- answers those it already has as duplicates (3000), which count as
-- delivered. `next_send_at` honours TiempoEsperaEnvio (60 s until the AEAT
-- says otherwise); `retry_at` backs a failing chain off alone (30 s doubling
-- to an hour: the Orden asks for a try at least hourly); `incident` makes
-- the next send carry Incidencia S, after sends that could not be made.
-- `lease_until` lets one sender (of several server instances) hold the chain.
CREATE TABLE verifactu_chain_sending (
    chain_id BIGINT PRIMARY KEY REFERENCES verifactu_chains (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    answered_through BIGINT NOT NULL DEFAULT 0,
    wait_seconds BIGINT NOT NULL DEFAULT 60,
    last_sent_at BIGINT,
    next_send_at BIGINT NOT NULL DEFAULT 0,
    retry_at BIGINT NOT NULL DEFAULT 0,
    lease_until BIGINT NOT NULL DEFAULT 0,
    failures BIGINT NOT NULL DEFAULT 0,
    failing_since BIGINT,
    last_error TEXT,
    incident BIGINT NOT NULL DEFAULT 0
);

-- Every request sent to the AEAT and what came back: the answer's CSV and
-- TiempoEsperaEnvio, or why there was none (the network, an HTTP status, a
-- SOAP Fault). Kept as a log; nothing reads it to decide.
CREATE TABLE verifactu_submissions (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    chain_id BIGINT NOT NULL REFERENCES verifactu_chains (id),
    store_id BIGINT NOT NULL REFERENCES stores (id),
    first_sequence BIGINT NOT NULL,
    last_sequence BIGINT NOT NULL,
    records BIGINT NOT NULL,
    incident BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    -- answered | failed
    outcome TEXT NOT NULL,
    -- Correcto | ParcialmenteCorrecto | Incorrecto, when answered.
    state TEXT,
    csv TEXT,
    wait_seconds BIGINT,
    error TEXT,
    response TEXT
);
CREATE INDEX verifactu_submissions_by_chain ON verifactu_submissions (chain_id, id);

-- The AEAT's answers about each record, appended, never overwritten: a
-- record sent again after a crash has its first answer and the duplicate
-- (3000) beside it. `state`: Correcto | AceptadoConErrores | Incorrecto.
-- `delivered` is what Invio concluded: registered (Correcto,
-- AceptadoConErrores, or a duplicate of one it has).
CREATE TABLE verifactu_answers (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    record_id BIGINT NOT NULL REFERENCES verifactu_records (id),
    submission_id BIGINT NOT NULL REFERENCES verifactu_submissions (id),
    state TEXT NOT NULL,
    code BIGINT,
    description TEXT,
    csv TEXT,
    duplicate BIGINT NOT NULL DEFAULT 0,
    delivered BIGINT NOT NULL,
    answered_at BIGINT NOT NULL
);
CREATE INDEX verifactu_answers_by_record ON verifactu_answers (record_id, id);
