-- The last clock (TPMS_CLOCK_INFO) accepted from each AIK, so that a quote whose
-- clock runs behind it is refused (policy/attestation_history.h has the rule).
-- One row per AIK, replaced as its attestations pass. clock is the TPM's u64
-- millisecond count stored as the int64 of the same bits; vtpmd compares it
-- unsigned, never in SQL.
CREATE TABLE attestation_history (
  aik_name      BLOB PRIMARY KEY,  -- nameAlg || H(TPMT_PUBLIC) of the AIK
  clock         INTEGER NOT NULL,
  reset_count   INTEGER NOT NULL CHECK (reset_count BETWEEN 0 AND 4294967295),
  restart_count INTEGER NOT NULL CHECK (restart_count BETWEEN 0 AND 4294967295)
) WITHOUT ROWID;
