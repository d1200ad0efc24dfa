#pragma once
// Replaying an event log: what its PCRs must hold if the log is complete and true.
// The attestation requires a replay to equal the quoted PCRs; only then do the
// events' contents describe the quoted state.

#include <optional>
#include <vector>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/result.h"
#include "policy/event_log.h"
#include "policy/pcr_values.h"

namespace vtpmd::policy {

// Every bank of the log whose hash we implement (SHA-1 and SHA-2; a bank of another
// algorithm, e.g. SM3, is left out), and in each the PCRs the log touches: PCR 0
// starts at 0...0 || StartupLocality (0 without one), every other PCR at zero, and
// each event but EV_NO_ACTION extends its logged digest, value = H(value || digest).
// The digests are taken as logged, not recomputed from the event data.
Result<PcrValues> ReplayEventLog(const EventLog& log);

// The value a PC Client TPM gives a PCR at TPM2_Startup(CLEAR) when nothing has
// been extended: all ones for PCRs 17-22 (which only a dynamic launch resets to
// zero), zeros for the others (PCR 0's locality aside).
Bytes PcrResetValue(HashAlg bank, unsigned pcr);

struct PcrMismatch {
  HashAlg bank = HashAlg::kSha256;
  unsigned pcr = 0;
  Bytes expected;
  std::optional<Bytes> replayed;  // none when the log has no such bank
};

// Each PCR of `expected` whose replayed value differs, in bank and PCR order. A PCR
// the log never touches replays to PcrResetValue(): the log claims nothing was
// measured into it.
std::vector<PcrMismatch> ComparePcrs(const PcrValues& replayed, const PcrValues& expected);

}  // namespace vtpmd::policy
