-- The alerts service's durable ledger (SQLite, synchronous=FULL): what was raised, what was
-- sent to whom, and an outbox of the events still to be acknowledged by Kafka. A state change
-- and its event are written in one transaction, before anything leaves the machine.
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    chain TEXT NOT NULL,
    kind TEXT NOT NULL,
    stage TEXT NOT NULL,
    street_id TEXT NOT NULL,
    community_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    ticket_id TEXT,
    period TEXT,
    due_at TEXT NOT NULL,
    definition_version INTEGER NOT NULL,
    escalated_from TEXT,
    recipients TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL DEFAULT '',
    feed TEXT NOT NULL DEFAULT '',  -- a feed alert's issue row (JSON); '' otherwise
    acked_at TEXT,
    resolved_reason TEXT
);
CREATE INDEX IF NOT EXISTS alerts_chain ON alerts (chain);
CREATE TABLE IF NOT EXISTS deliveries (
    alert_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,  -- pending | delivered | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (alert_id, recipient, channel)
);
CREATE TABLE IF NOT EXISTS outbox (
    event_id TEXT PRIMARY KEY,
    event TEXT NOT NULL,
    published INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (published) WHERE published = 0;
