-- One vTPM per VM. The per-instance swtpm state key is stored only AES-256-GCM
-- encrypted under the data key that is sealed to the platform TPM.
CREATE TABLE instances (
  id                   TEXT PRIMARY KEY,
  vm_id                TEXT NOT NULL UNIQUE,
  label                TEXT NOT NULL DEFAULT '',
  certification_method TEXT NOT NULL
                       CHECK (certification_method IN ('local-ca', 'aik-certifies-ek', 'aik-certifies-aik')),
  ek_algorithms        TEXT NOT NULL,
  status               TEXT NOT NULL
                       CHECK (status IN ('provisioning', 'running', 'stopped', 'failed')),
  status_detail        TEXT NOT NULL DEFAULT '',
  binding_uid          INTEGER,
  state_key_sealed     BLOB NOT NULL,
  created_at           INTEGER NOT NULL
);

CREATE TABLE instance_endorsement_keys (
  instance_id        TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  algorithm          TEXT NOT NULL,
  handle             INTEGER NOT NULL,
  nv_index           INTEGER NOT NULL,
  public_area        BLOB NOT NULL,
  name               BLOB NOT NULL,
  certificate_serial TEXT NOT NULL,
  PRIMARY KEY (instance_id, algorithm)
);

-- Durable event log; delivery to subscribers is built on top of it.
CREATE TABLE events (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  type       TEXT NOT NULL,
  subject    TEXT NOT NULL,
  data_json  TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX events_by_subject ON events(subject);
