#pragma once
// Shared by the quote verification tests: AIKs from their TPM2B_PUBLIC, a store
// holding the clock history, and the reasons a verification gives.

#include <memory>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/openssl.h"
#include "core/store.h"
#include "policy/quote_verifier.h"
#include "policy/store_attestation_history.h"

namespace vtpmd::testing {

struct LoadedAik {
  ossl::PkeyPtr key;
  Bytes name;
  policy::AikKey aik() const { return {key.get(), name}; }
};

// From a TPM2B_PUBLIC (`tpm2_createak -u -f tss`); fails the test on error.
LoadedAik LoadAik(ByteView tpm2b_public);

// An in-memory store with every migration and the history on it.
class HistoryStore {
 public:
  HistoryStore();
  policy::StoreAttestationHistory& history() { return *history_; }
  Store& store() { return *store_; }

 private:
  std::unique_ptr<Store> store_;
  std::unique_ptr<policy::StoreAttestationHistory> history_;
};

// "check:reason" of every failed check, in order, e.g. {"nonce:nonce-mismatch"}.
std::vector<std::string> Failures(const policy::QuoteVerification& verification);
// The outcome name of one check ("passed", "failed", "skipped"; "absent").
std::string Outcome(const policy::QuoteVerification& verification, std::string_view check);

}  // namespace vtpmd::testing
