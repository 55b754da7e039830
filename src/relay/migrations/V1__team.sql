-- The team relay's store: operators, the locks it handed out, money intents (idempotency),
-- watched transactions, webhook events, four-eyes proposals and the team journal.

CREATE TABLE operators (
    name        TEXT PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('viewer', 'trader', 'approver')),
    -- SHA-256 of the token; the token itself is printed once and never stored.
    token_hash  BYTEA NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at  TIMESTAMPTZ
);

-- Every rate lock the relay forwarded, so a money POST is checked against what was locked.
CREATE TABLE locks (
    lock_id     TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('exchange', 'order')),
    operator    TEXT NOT NULL,
    -- exchange: currencyFrom/currencyTo/amount; order: currency/network/amount (fiat).
    terms       JSONB NOT NULL,
    answer      JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per Idempotency-Key: the primary key is what makes a POST go upstream once for the
-- whole team, whichever relay process receives it.
CREATE TABLE intents (
    idempotency_key TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('exchange', 'order')),
    operator        TEXT NOT NULL,
    body            JSONB NOT NULL,
    -- SHA-256 of the body as sent (canonical JSON): a key reused for other terms is refused.
    body_hash       TEXT NOT NULL,
    terms           JSONB NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('in_progress', 'answered', 'unknown')),
    answer_status   INTEGER,
    answer_body     TEXT,
    transaction_id  TEXT,
    proposal_id     BIGINT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    answered_at     TIMESTAMPTZ
);

-- Exchanges and orders the team watches until final; the poller's work list and the store
-- details requests are answered from.
CREATE TABLE watched (
    transaction_id  TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('exchange', 'order')),
    operator        TEXT NOT NULL,
    idempotency_key TEXT,
    terms           JSONB NOT NULL,
    status          TEXT NOT NULL,
    final           BOOLEAN NOT NULL DEFAULT false,
    details         JSONB,
    checked_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX watched_pending ON watched (checked_at NULLS FIRST) WHERE NOT final;

-- Webhook deliveries, stored once each: P100 retries up to 4 more times.
CREATE TABLE webhook_events (
    fingerprint  TEXT PRIMARY KEY,
    event_type   TEXT,
    subject_id   TEXT,
    status       TEXT,
    payload      JSONB NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    deliveries   INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE proposals (
    id               BIGSERIAL PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('exchange', 'order')),
    proposer         TEXT NOT NULL,
    terms            JSONB NOT NULL,
    amount_eur       TEXT NOT NULL,
    indicative_rate  TEXT NOT NULL,
    max_deviation    TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'used')),
    approver         TEXT,
    used_by_key      TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    approved_at      TIMESTAMPTZ
);

CREATE TABLE team_journal (
    id        BIGSERIAL PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    operator  TEXT NOT NULL,
    event     TEXT NOT NULL,
    subject   TEXT,
    detail    JSONB NOT NULL
);
