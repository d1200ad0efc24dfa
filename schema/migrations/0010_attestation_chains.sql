-- Certificate chains quoted by stored attestation results, each kept once: every
-- result repeats the platform AIK's chain and its AIK's, about 4.5 KB of a 10.7 KB
-- result. A stored result refers to a chain as {"sha256": hex of its PEM}
-- (server/app/stored_result.h); results stored before this keep theirs inline.
CREATE TABLE attestation_chains (
  sha256 BLOB PRIMARY KEY CHECK (length(sha256) = 32),
  pem    TEXT NOT NULL
) WITHOUT ROWID;
