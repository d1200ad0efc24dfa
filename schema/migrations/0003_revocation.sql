-- Certificates belong to the vTPM they were issued for (EK', AIK'), so deleting an
-- instance can revoke them and relying parties can list them; the column outlives
-- the instance row on purpose.
ALTER TABLE certificates ADD COLUMN instance_id TEXT;
UPDATE certificates SET instance_id =
  (SELECT k.instance_id FROM instance_endorsement_keys k WHERE k.certificate_serial = certificates.serial);
CREATE INDEX certificates_by_instance ON certificates(instance_id);
CREATE INDEX certificates_revoked ON certificates(issuer_role, revoked_at) WHERE revoked_at IS NOT NULL;

-- The latest CRL of each issuer. crl_number only grows (RFC 5280 §5.2.3); `stale`
-- is set in the transaction that revokes, so the next fetch signs a new CRL.
CREATE TABLE crls (
  issuer_role TEXT PRIMARY KEY REFERENCES ca_issuers(role),
  crl_number  INTEGER NOT NULL,
  this_update INTEGER NOT NULL,
  next_update INTEGER NOT NULL,
  crl_der     BLOB NOT NULL,
  stale       INTEGER NOT NULL DEFAULT 0
);
