-- Unknown outcomes are read back from P100's history, never re-sent: found ('reconciled'),
-- proven absent after a bounded window ('not_applied'), or two lookalikes ('ambiguous': a
-- person decides on a desk; the relay claims nothing).
ALTER TABLE intents DROP CONSTRAINT intents_state_check;
ALTER TABLE intents ADD CONSTRAINT intents_state_check CHECK (state IN
    ('in_progress', 'answered', 'unknown', 'reconciled', 'not_applied', 'ambiguous'));
-- Successful history reads that found nothing, the first of them, and when to look next.
ALTER TABLE intents ADD COLUMN reconcile_misses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE intents ADD COLUMN reconcile_first_miss_at TIMESTAMPTZ;
ALTER TABLE intents ADD COLUMN reconcile_next_at TIMESTAMPTZ;
-- One P100 id belongs to one intent: neither a lying answer nor a reconciliation can hand an
-- id another intent owns to a second one.
CREATE UNIQUE INDEX intents_transaction_id ON intents (transaction_id)
    WHERE transaction_id IS NOT NULL;
CREATE INDEX intents_unknown ON intents (reconcile_next_at NULLS FIRST) WHERE state = 'unknown';
