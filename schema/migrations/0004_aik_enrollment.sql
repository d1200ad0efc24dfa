-- Pending AIK enrollments (credential activation challenges). Only a SHA-256 of
-- the challenge secret is kept: the secret itself exists only inside the
-- credential blob, which only the EK's TPM can open. A challenge is used at most
-- once, whatever the outcome; rows are swept a day after they expire.
CREATE TABLE aik_challenges (
  id                 TEXT PRIMARY KEY,
  instance_id        TEXT NOT NULL DEFAULT '',  -- a vTPM of this host, or ''
  vm_id              TEXT NOT NULL DEFAULT '',
  host_name          TEXT NOT NULL DEFAULT '',  -- the TPM's name when it is no instance
  -- 1 when a TPM manufacturer vouched for the EK: only then is the AIK a platform's
  platform           INTEGER NOT NULL DEFAULT 0,
  ek_not_after       INTEGER NOT NULL,
  -- who signs the AIK certificate: the privacy CA, or the host signing key in the
  -- platform TPM (method aik-certifies-aik)
  signer             TEXT NOT NULL DEFAULT 'privacy-ca' CHECK (signer IN ('privacy-ca', 'host')),
  aik_public         BLOB NOT NULL,
  secret_hash        BLOB NOT NULL,
  created_at         INTEGER NOT NULL,
  expires_at         INTEGER NOT NULL,
  state              TEXT NOT NULL CHECK (state IN ('pending', 'activated', 'refused')),
  certificate_serial TEXT
);
CREATE INDEX aik_challenges_by_expiry ON aik_challenges(expires_at);
-- The capacity check counts only pending challenges.
CREATE INDEX aik_challenges_pending ON aik_challenges(expires_at) WHERE state = 'pending';
