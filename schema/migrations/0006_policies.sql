-- Attestation policies: named reference values (docs/attestation.md, "Policies").
-- A version is never changed or removed, since attestation results name the
-- policy and version they were appraised against. Deleting a policy only marks
-- it; creating the name again continues its numbering, so a (name, version) pair
-- always means one document.
CREATE TABLE policies (
  name           TEXT PRIMARY KEY,
  latest_version INTEGER NOT NULL CHECK (latest_version >= 1),
  deleted_at     INTEGER
);
-- The listing pages through the policies that are not deleted, by name.
CREATE INDEX policies_active ON policies(name) WHERE deleted_at IS NULL;

CREATE TABLE policy_versions (
  name          TEXT NOT NULL REFERENCES policies(name),
  version       INTEGER NOT NULL CHECK (version >= 1),
  description   TEXT NOT NULL,
  document_json TEXT NOT NULL,  -- canonical form (policy/reference_policy.h)
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (name, version)
) WITHOUT ROWID;
