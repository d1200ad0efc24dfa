-- Attestation results (docs/attestation.md, "Attestation API"): what was verified,
-- the verdict and the signed token, kept so a result can be fetched again and
-- audited. A row is never changed.
CREATE TABLE attestations (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,  -- listing order and paging cursor
  id             TEXT NOT NULL UNIQUE,
  created_at     INTEGER NOT NULL,
  subject        TEXT NOT NULL CHECK (subject IN ('instance', 'platform')),
  instance_id    TEXT,
  vm_id          TEXT,
  status         TEXT NOT NULL CHECK (status IN ('affirming', 'warning', 'contraindicated')),
  policy_name    TEXT,
  policy_version INTEGER,
  token          TEXT NOT NULL,
  result_json    TEXT NOT NULL
);
CREATE INDEX attestations_by_instance ON attestations(instance_id, seq);
CREATE INDEX attestations_by_status ON attestations(status, seq);
