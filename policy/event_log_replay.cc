#include "policy/event_log_replay.h"

#include <algorithm>

#include "core/tpm_alg.h"
#include "policy/event_types.h"

namespace vtpmd::policy {
namespace {

constexpr unsigned kFirstDrtmPcr = 17;
constexpr unsigned kLastDrtmPcr = 22;

const EventDigest* DigestOf(const Event& event, std::uint16_t algorithm_id) {
  auto it = std::find_if(event.digests.begin(), event.digests.end(),
                         [&](const EventDigest& digest) { return digest.algorithm_id == algorithm_id; });
  return it == event.digests.end() ? nullptr : &*it;
}

Result<PcrBankValues> ReplayBank(const EventLog& log, std::uint16_t algorithm_id, HashAlg bank) {
  PcrBankValues pcrs;
  if (auto locality = log.startup_locality()) {
    Bytes initial(DigestSize(bank) - 1, 0);
    initial.push_back(*locality);
    pcrs[0] = std::move(initial);
  }
  for (const Event& event : log.events()) {
    if (event.type == kEvNoAction) continue;
    const EventDigest* digest = DigestOf(event, algorithm_id);
    // EventLog::Parse() gives every event a digest of every algorithm of the log.
    if (digest == nullptr) return Internal("event " + std::to_string(event.sequence) + " lacks a digest");
    Bytes& value = pcrs.try_emplace(event.pcr, Bytes(DigestSize(bank), 0)).first->second;
    VTPMD_ASSIGN_OR_RETURN(value, DigestParts(bank, {value, digest->value}));
  }
  return pcrs;
}

}  // namespace

Result<PcrValues> ReplayEventLog(const EventLog& log) {
  PcrValues out;
  for (std::uint16_t algorithm_id : log.algorithms()) {
    auto bank = tpm::HashAlgFromTpm(algorithm_id);
    if (!bank.ok()) continue;
    VTPMD_ASSIGN_OR_RETURN(out[*bank], ReplayBank(log, algorithm_id, *bank));
  }
  return out;
}

Bytes PcrResetValue(HashAlg bank, unsigned pcr) {
  const bool drtm = pcr >= kFirstDrtmPcr && pcr <= kLastDrtmPcr;
  return Bytes(DigestSize(bank), drtm ? 0xff : 0x00);
}

std::vector<PcrMismatch> ComparePcrs(const PcrValues& replayed, const PcrValues& expected) {
  std::vector<PcrMismatch> out;
  for (const auto& [bank, expected_pcrs] : expected) {
    const auto replayed_bank = replayed.find(bank);
    for (const auto& [pcr, expected_value] : expected_pcrs) {
      if (replayed_bank == replayed.end()) {
        out.push_back(PcrMismatch{bank, pcr, expected_value, std::nullopt});
        continue;
      }
      const auto value = replayed_bank->second.find(pcr);
      Bytes replayed_value = value == replayed_bank->second.end() ? PcrResetValue(bank, pcr) : value->second;
      if (replayed_value != expected_value)
        out.push_back(PcrMismatch{bank, pcr, expected_value, std::move(replayed_value)});
    }
  }
  return out;
}

}  // namespace vtpmd::policy
