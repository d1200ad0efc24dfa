-- Bearer tokens: only a SHA-256 of the secret is kept; the secret is shown once.
CREATE TABLE tokens (
  id          TEXT PRIMARY KEY,
  secret_hash BLOB NOT NULL UNIQUE,
  role        TEXT NOT NULL CHECK (role IN ('admin', 'challenger', 'subscriber', 'host')),
  label       TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER,
  revoked_at  INTEGER
);

-- Secrets sealed to the platform TPM (the data key that wraps CA keys).
CREATE TABLE sealed_secrets (
  name       TEXT PRIMARY KEY,
  blob       BLOB NOT NULL,
  created_at INTEGER NOT NULL
);

-- CA issuers: certificate in clear, private key AES-256-GCM under the sealed data key.
CREATE TABLE ca_issuers (
  role               TEXT PRIMARY KEY,
  certificate_der    BLOB NOT NULL,
  private_key_sealed BLOB NOT NULL,
  created_at         INTEGER NOT NULL
);

-- Every certificate an issuer signed, for listing and (later) revocation.
CREATE TABLE certificates (
  serial            TEXT PRIMARY KEY,
  issuer_role       TEXT NOT NULL REFERENCES ca_issuers(role),
  kind              TEXT NOT NULL,
  subject           TEXT NOT NULL,
  certificate_der   BLOB NOT NULL,
  not_before        INTEGER NOT NULL,
  not_after         INTEGER NOT NULL,
  revoked_at        INTEGER,
  revocation_reason INTEGER
);
CREATE INDEX certificates_by_issuer ON certificates(issuer_role);
