// TCG event logs, which challengers send with their quotes: whatever parses keeps
// the parser's promises (PCRs 0-23, a digest of every algorithm of the log on
// every event) and replays; the decoders also get the input directly, as the data
// of each event type that has a structure.
#include <array>
#include <cstddef>
#include <cstdint>

#include "policy/event_data.h"
#include "policy/event_log.h"
#include "policy/event_log_replay.h"
#include "policy/event_types.h"

namespace {

constexpr std::array<std::uint32_t, 8> kStructuredTypes = {
    vtpmd::policy::kEvNoAction,
    vtpmd::policy::kEvSeparator,
    vtpmd::policy::kEvEventTag,
    vtpmd::policy::kEvPostCode,
    vtpmd::policy::kEvIpl,
    vtpmd::policy::kEvEfiVariableBoot,
    vtpmd::policy::kEvEfiPlatformFirmwareBlob,
    vtpmd::policy::kEvSCrtmVersion,
};

void Log(vtpmd::ByteView input) {
  auto log = vtpmd::policy::EventLog::Parse(input);
  if (!log.ok()) return;
  for (const vtpmd::policy::Event& event : log->events()) {
    if (event.pcr > vtpmd::policy::kMaxPcrIndex) __builtin_trap();
    if (event.sequence > 0 && event.digests.size() != log->algorithms().size()) __builtin_trap();
  }
  auto replayed = vtpmd::policy::ReplayEventLog(*log);
  if (!replayed.ok() || !vtpmd::policy::ComparePcrs(*replayed, *replayed).empty()) __builtin_trap();
}

void EventData(vtpmd::ByteView input) {
  if (input.empty()) return;
  const std::uint32_t type = kStructuredTypes[input[0] % kStructuredTypes.size()];
  (void)vtpmd::policy::DecodeEventData(type, input.subspan(1));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const vtpmd::ByteView input(data, size);
  Log(input);
  EventData(input);
  return 0;
}
