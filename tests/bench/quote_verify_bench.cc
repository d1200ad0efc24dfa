// Quote verification per guest quote, in process (issue 5). The quotes are made
// beforehand by a real TPM (swtpm through tpm2-tools, tests/bench/quote_verify_bench.sh):
// for each AIK, a directory holding ak.pub (`tpm2_createak -u -f tss`) and, per
// quote, NNNN.msg, NNNN.sig and NNNN.pcrs (`tpm2_quote -m -s -o`) and NNNN.nonce
// (the qualifying data, in hex). Each iteration verifies the next quote of its
// directory as a verifier receives it: the -o file parsed (ParseTpm2ToolsPcrs), then
// the whole VerifyQuote (signature, magic, type, nonce, selection, PCR digest, the
// AIK's clock history held in memory). Beside it, to show where the time goes:
// the -o file's parse alone, vtpmd's signature check alone (TPMT_SIGNATURE parsed,
// verified through EVP_DigestVerify) and OpenSSL's bare verify of the same signature
// over a precomputed digest with a context made once, which is what `openssl speed`
// times.
//
// usage: vtpmd_quote_verify_bench --quote_dir=DIR [benchmark flags]
//   DIR/ecdsa-p256 and DIR/rsa2048, each as above.
// Rates are per CPU second (Google Benchmark's default), as `openssl speed` reports
// them, so the two compare per core.

#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/openssl.h"
#include "core/tpm_keys.h"
#include "core/tpm_name.h"
#include "core/tpm_signature.h"
#include "core/tpm_wire.h"
#include "policy/attestation_history.h"
#include "policy/quote_verifier.h"
#include "policy/quoted_pcrs.h"
#include "tests/bench/take_flag.h"

namespace vtpmd {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "quote_verify_bench: %s\n", message.c_str());
  std::exit(2);
}

template <typename T>
T Must(Result<T> result, const std::string& what) {
  if (!result.ok()) Die(what + ": " + result.error().message());
  return std::move(result).value();
}

Bytes ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path.string());
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The clock history a verifier keeps, here in memory: the benchmark is about the
// verification, not the store (the store's commit is measured in
// enrollment_bench).
class InMemoryHistory final : public policy::AttestationHistory {
 public:
  Result<policy::ClockComparison> Compare(ByteView aik_name, const policy::ClockSnapshot& observed) override {
    const auto found = last_.find(Bytes(aik_name.begin(), aik_name.end()));
    policy::ClockComparison out;
    if (found != last_.end()) out.last = found->second;
    out.order = policy::CompareClock(out.last, observed);
    return out;
  }

  Result<policy::ClockComparison> CompareAndRecord(ByteView aik_name, const policy::ClockSnapshot& observed) override {
    VTPMD_ASSIGN_OR_RETURN(policy::ClockComparison comparison, Compare(aik_name, observed));
    if (policy::IsAcceptable(comparison.order)) last_[Bytes(aik_name.begin(), aik_name.end())] = observed;
    return comparison;
  }

  void Forget() { last_.clear(); }

 private:
  std::map<Bytes, policy::ClockSnapshot> last_;
};

// One quote as a verifier receives it: the files' bytes, nothing parsed yet.
struct RecordedQuote {
  Bytes attest;
  Bytes signature;
  Bytes pcr_file;
  Bytes nonce;
};

struct QuoteSet {
  std::string label;  // "ecdsa-p256", "rsa2048"
  ossl::PkeyPtr aik_key;
  Bytes aik_name;
  std::vector<RecordedQuote> quotes;  // in the order the TPM made them, so their clocks run forward

  policy::AikKey aik() const { return {aik_key.get(), aik_name}; }
};

QuoteSet LoadQuoteSet(const std::filesystem::path& dir, std::string label) {
  QuoteSet set;
  set.label = std::move(label);
  const auto aik_public = Must(tpm::ParsePublic(ReadFile(dir / "ak.pub")), (dir / "ak.pub").string());
  set.aik_key = Must(tpm::PublicKeyFromTpm(aik_public.publicArea), "AIK key of " + dir.string());
  set.aik_name = Must(tpm::ObjectName(aik_public.publicArea), "AIK name of " + dir.string());

  std::vector<std::string> stems;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".msg") stems.push_back(entry.path().stem().string());
  }
  std::sort(stems.begin(), stems.end());  // zero-padded numbers: the order they were made in
  for (const std::string& stem : stems) {
    std::string nonce_hex;
    std::ifstream(dir / (stem + ".nonce")) >> nonce_hex;
    set.quotes.push_back({ReadFile(dir / (stem + ".msg")), ReadFile(dir / (stem + ".sig")),
                          ReadFile(dir / (stem + ".pcrs")), Must(HexDecode(nonce_hex), stem + ".nonce")});
  }
  if (set.quotes.empty()) Die("no quotes (*.msg) in " + dir.string());
  return set;
}

// Verifies one quote the way a verifier does on receipt; false if any check failed.
bool VerifyRecordedQuote(const QuoteSet& set, const RecordedQuote& quote, policy::AttestationHistory& history) {
  auto pcrs = policy::ParseTpm2ToolsPcrs(quote.pcr_file);
  if (!pcrs.ok()) return false;
  auto verification = policy::VerifyQuote({quote.attest, quote.signature, *pcrs}, set.aik(), quote.nonce, history);
  return verification.ok() && verification->passed;
}

// Every quote must pass before its cost means anything.
void RequireAllPass(const QuoteSet& set) {
  InMemoryHistory history;
  for (std::size_t i = 0; i < set.quotes.size(); ++i) {
    const RecordedQuote& quote = set.quotes[i];
    auto pcrs = Must(policy::ParseTpm2ToolsPcrs(quote.pcr_file), set.label + " quote " + std::to_string(i));
    auto verification =
        Must(policy::VerifyQuote({quote.attest, quote.signature, pcrs}, set.aik(), quote.nonce, history), set.label);
    if (!verification.passed) {
      for (const policy::CheckResult& check : verification.checks) {
        if (!check.passed()) std::fprintf(stderr, "  %s: %s\n", std::string(check.check).c_str(), check.message.c_str());
      }
      Die(set.label + " quote " + std::to_string(i) + " does not verify");
    }
  }
}

void BM_VerifyQuote(benchmark::State& state, const QuoteSet* set) {
  InMemoryHistory history;
  std::size_t next = 0;
  for (auto _ : state) {
    if (next == set->quotes.size()) {
      // Starting the sequence over would take the AIK's clock back; a verifier
      // never sees that from an honest TPM. Forgetting one map entry costs nothing
      // next to a verification.
      next = 0;
      history.Forget();
    }
    if (!VerifyRecordedQuote(*set, set->quotes[next++], history)) {
      state.SkipWithError("a quote failed verification");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ParseTpm2ToolsPcrs(benchmark::State& state, const QuoteSet* set) {
  std::size_t next = 0;
  for (auto _ : state) {
    auto pcrs = policy::ParseTpm2ToolsPcrs(set->quotes[next].pcr_file);
    benchmark::DoNotOptimize(pcrs);
    next = (next + 1) % set->quotes.size();
  }
  state.SetItemsProcessed(state.iterations());
}

// vtpmd's signature check alone: what VerifyQuote's "signature" check costs.
void BM_SignatureOnly(benchmark::State& state, const QuoteSet* set) {
  std::size_t next = 0;
  for (auto _ : state) {
    const RecordedQuote& quote = set->quotes[next];
    auto signature = tpm::ParseSignature(quote.signature);
    if (!signature.ok() || !tpm::VerifyTpmSignature(set->aik_key.get(), quote.attest, *signature).ok()) {
      state.SkipWithError("signature does not verify");
      break;
    }
    next = (next + 1) % set->quotes.size();
  }
  state.SetItemsProcessed(state.iterations());
}

// The primitive as `openssl speed` measures it: EVP_PKEY_verify on a digest with a
// context set up once. Measured here too so that the ratio can be read within one
// process, free of the drift between the two programs' runs on a shared machine.
struct PreparedSignature {
  Bytes digest;     // SHA-256 of the TPMS_ATTEST
  Bytes signature;  // as OpenSSL takes it: DER for ECDSA, the raw block for RSA
};

void BM_OpenSslVerifyDigest(benchmark::State& state, const QuoteSet* set) {
  std::vector<PreparedSignature> prepared;
  for (const RecordedQuote& quote : set->quotes) {
    const TPMT_SIGNATURE signature = Must(tpm::ParseSignature(quote.signature), "signature");
    PreparedSignature entry{Must(Sha256(quote.attest), "SHA-256"), {}};
    if (signature.sigAlg == TPM2_ALG_ECDSA) {
      entry.signature = Must(tpm::EcdsaSignatureDer(signature), "ECDSA DER");
    } else {
      const TPM2B_PUBLIC_KEY_RSA& rsa = signature.signature.rsassa.sig;
      entry.signature.assign(rsa.buffer, rsa.buffer + rsa.size);
    }
    prepared.push_back(std::move(entry));
  }
  const ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new(set->aik_key.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1) {
    state.SkipWithError("EVP_PKEY_verify_init");
    return;
  }
  std::size_t next = 0;
  for (auto _ : state) {
    const PreparedSignature& entry = prepared[next];
    if (EVP_PKEY_verify(ctx.get(), entry.signature.data(), entry.signature.size(), entry.digest.data(),
                        entry.digest.size()) != 1) {
      state.SkipWithError("EVP_PKEY_verify failed");
      break;
    }
    next = (next + 1) % prepared.size();
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace
}  // namespace vtpmd

int main(int argc, char** argv) {
  using namespace vtpmd;
  benchmark::Initialize(&argc, argv);
  const std::optional<std::string> quote_dir = bench::TakeFlag(argc, argv, "quote_dir");
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  if (!quote_dir) Die("usage: vtpmd_quote_verify_bench --quote_dir=DIR [benchmark flags] (see quote_verify_bench.sh)");

  // Static storage: the registered benchmarks keep pointers to the sets.
  static std::vector<QuoteSet> sets;
  sets.reserve(2);
  for (const char* label : {"ecdsa-p256", "rsa2048"}) {
    sets.push_back(LoadQuoteSet(std::filesystem::path(*quote_dir) / label, label));
    RequireAllPass(sets.back());
  }
  for (const QuoteSet& set : sets) {
    benchmark::RegisterBenchmark(("BM_VerifyQuote/" + set.label).c_str(), BM_VerifyQuote, &set);
    benchmark::RegisterBenchmark(("BM_ParseTpm2ToolsPcrs/" + set.label).c_str(), BM_ParseTpm2ToolsPcrs, &set);
    benchmark::RegisterBenchmark(("BM_SignatureOnly/" + set.label).c_str(), BM_SignatureOnly, &set);
    benchmark::RegisterBenchmark(("BM_OpenSslVerifyDigest/" + set.label).c_str(), BM_OpenSslVerifyDigest, &set);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
