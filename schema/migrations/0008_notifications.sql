-- Notifications (docs/notifications.md). Events gain the instance and VM they are
-- about, so subscriptions can filter on them without parsing every event's data.
ALTER TABLE events ADD COLUMN instance_id TEXT;
ALTER TABLE events ADD COLUMN vm_id TEXT;

-- A relying party's webhook endpoint. `cursor` is the seq of the last event settled
-- for it (delivered, or given up after the retry horizon); everything after it that
-- matches is still owed, so the obligation survives any crash without a row per
-- delivery. One event is in flight per subscription: deliveries arrive in order.
CREATE TABLE subscriptions (
  id                     TEXT PRIMARY KEY,
  owner_token            TEXT NOT NULL,
  url                    TEXT NOT NULL,
  event_types            TEXT NOT NULL,  -- JSON array of names or "prefix.*" patterns
  vm_ids                 TEXT NOT NULL,  -- JSON array; empty = any
  instance_ids           TEXT NOT NULL,  -- JSON array; empty = any
  secret_sealed          BLOB NOT NULL,  -- AES-256-GCM under the data key
  previous_secret_sealed BLOB,           -- still signs until previous_secret_until
  previous_secret_until  INTEGER,
  state                  TEXT NOT NULL CHECK (state IN ('active', 'paused', 'disabled')),
  state_detail           TEXT NOT NULL DEFAULT '',
  cursor                 INTEGER NOT NULL,
  head_attempts          INTEGER NOT NULL DEFAULT 0,  -- failed attempts at the event after cursor
  next_attempt_at_ms     INTEGER NOT NULL DEFAULT 0,
  failure_streak         INTEGER NOT NULL DEFAULT 0,
  created_at             INTEGER NOT NULL
);
CREATE INDEX subscriptions_by_owner ON subscriptions(owner_token, created_at);

-- Every attempt, kept for GET /v1/subscriptions/{id}/deliveries.
CREATE TABLE delivery_attempts (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  subscription_id TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  event_seq       INTEGER NOT NULL,
  attempt         INTEGER NOT NULL,
  attempted_at_ms INTEGER NOT NULL,
  http_status     INTEGER,
  latency_us      INTEGER NOT NULL,
  error           TEXT NOT NULL DEFAULT '',
  outcome         TEXT NOT NULL CHECK (outcome IN ('delivered', 'retrying', 'gave-up'))
);
CREATE INDEX delivery_attempts_by_subscription ON delivery_attempts(subscription_id, seq);

-- Redeliveries an operator or subscriber asked for: owed like the cursor's events,
-- sent outside the in-order stream.
CREATE TABLE redeliveries (
  subscription_id TEXT NOT NULL,
  event_seq       INTEGER NOT NULL,
  requested_at    INTEGER NOT NULL,
  PRIMARY KEY (subscription_id, event_seq)
);
