// Whole quotes from challengers, verified with the AIK of tests/data/tpm/ak.pub and
// the nonce of its recorded quote. Input: u16 attest size || TPMS_ATTEST || u16
// signature size || TPMT_SIGNATURE || tpm2-tools PCR file. Whatever the bytes, the
// verifier's promises hold: nothing passes unless the signature did, and quoted
// PCR values are reported only for a passed digest check.
#include <cstddef>
#include <cstdint>
#include <map>

#include "core/byte_reader.h"
#include "core/tpm_keys.h"
#include "core/tpm_name.h"
#include "core/tpm_wire.h"
#include "policy/quote_verifier.h"
#include "policy/quoted_pcrs.h"

namespace {

using vtpmd::policy::ClockComparison;
using vtpmd::policy::ClockSnapshot;

constexpr std::string_view kAkPublic =
    "01180001000b00050072000000100014000b08000000000001009d67b93d017b42d0295fe54da2e0e45d5466787ccf86f1d2"
    "c20f24ffa9fccae89f05b9419fcc75c36db158b0389fe909a7861067afbccbb292569a516dae97c7921a090182666e27de22"
    "b3ee74eb32c6dd691ca96ad98eee59f7ed0f93cc97a6866f583e7ba2d588c596faa4913ef0464717909597a4648fb1614aa7"
    "d9d7b3be3b41f0ea1ed5d73d2b1cec01552d564488531d237367c631f59b12ea2a287a7a1250bd2d070604062c634dbd8f26"
    "54d55069fde1de19051be36953ae9606e984ef35fbb427494abef16bccbfaff55227ed1823fec5ba8325b7a4da7ef7da783f"
    "1b6cd7f0a260002d861be3f9309c902d4be85157bbbb517a7dd27eaec8fd4c6b";

// The history in memory: the store's version adds SQLite, not verifier logic.
class MemoryHistory final : public vtpmd::policy::AttestationHistory {
 public:
  vtpmd::Result<ClockComparison> Compare(vtpmd::ByteView, const ClockSnapshot& observed) override {
    return ClockComparison{last_, vtpmd::policy::CompareClock(last_, observed)};
  }
  vtpmd::Result<ClockComparison> CompareAndRecord(vtpmd::ByteView aik, const ClockSnapshot& observed) override {
    auto comparison = Compare(aik, observed);
    if (vtpmd::policy::IsAcceptable(comparison->order)) last_ = observed;
    return comparison;
  }

 private:
  std::optional<ClockSnapshot> last_;
};

struct Aik {
  vtpmd::ossl::PkeyPtr key;
  vtpmd::Bytes name;
};

const Aik& LoadAik() {
  static const Aik aik = [] {
    auto pub = vtpmd::tpm::ParsePublic(*vtpmd::HexDecode(kAkPublic));
    return Aik{std::move(vtpmd::tpm::PublicKeyFromTpm(pub->publicArea)).value(),
               *vtpmd::tpm::ObjectName(pub->publicArea)};
  }();
  return aik;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  vtpmd::ByteReader reader(vtpmd::ByteView(data, size));
  auto attest = reader.Sized16();
  auto signature = reader.Sized16();
  if (!attest.ok() || !signature.ok()) return 0;
  auto pcrs = vtpmd::policy::ParseTpm2ToolsPcrs(*reader.Take(reader.remaining()));
  if (!pcrs.ok()) return 0;
  const Aik& aik = LoadAik();
  static const vtpmd::Bytes nonce = *vtpmd::HexDecode("0011223344556677");
  MemoryHistory history;
  auto result = vtpmd::policy::VerifyQuote({*attest, *signature, *pcrs}, {aik.key.get(), aik.name}, nonce, history);
  if (!result.ok()) __builtin_trap();
  const vtpmd::policy::CheckResult* signature_check = result->Find(vtpmd::policy::kCheckSignature);
  const vtpmd::policy::CheckResult* digest_check = result->Find(vtpmd::policy::kCheckPcrDigest);
  if (signature_check == nullptr || digest_check == nullptr) __builtin_trap();
  if (!signature_check->passed()) {
    for (const vtpmd::policy::CheckResult& check : result->checks) {
      if (check.passed() && check.check != vtpmd::policy::kCheckAttestFormat) __builtin_trap();
    }
  }
  if (result->facts && !result->facts->quoted_pcrs.empty() && !digest_check->passed()) __builtin_trap();
  if (result->passed && (!result->facts || result->facts->quoted_pcrs != *pcrs)) __builtin_trap();
  return 0;
}
