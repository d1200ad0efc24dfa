#pragma once
// A TCG PC Client Platform Firmware Profile event log, the binary list of
// measurements firmware (and boot loaders) made into PCRs 0-23, in either format:
//   - SHA-1 ("legacy", TPM 1.2 era): every event a TCG_PCR_EVENT
//       u32 pcrIndex || u32 eventType || digest[20] || u32 eventSize || event[eventSize]
//   - crypto-agile: a TCG_PCR_EVENT of type EV_NO_ACTION holding the Spec ID event
//     (spec_id_event.h), then TCG_PCR_EVENT2s
//       u32 pcrIndex || u32 eventType || u32 count || {u16 hashAlg, digest}[count] ||
//       u32 eventSize || event[eventSize]
//     where each digest has the size the Spec ID event gives its algorithm.
// All integers are little-endian.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "policy/event_data.h"
#include "policy/spec_id_event.h"

namespace vtpmd::policy {

class EventLogParser;

// Real firmware logs hold a few hundred events in well under a megabyte; these
// bound what a hostile log can make us allocate.
inline constexpr std::size_t kMaxEventLogSize = 32 * 1024 * 1024;
inline constexpr std::size_t kMaxEvents = 100'000;
inline constexpr std::size_t kMaxTotalEventData = 16 * 1024 * 1024;
inline constexpr std::uint32_t kMaxPcrIndex = 23;

enum class EventLogFormat { kSha1, kCryptoAgile };
std::string_view EventLogFormatName(EventLogFormat format);  // "sha1", "crypto-agile"

struct EventDigest {
  std::uint16_t algorithm_id = 0;  // a TPM_ALG_ID, see digest_algorithm.h
  Bytes value;
};

struct Event {
  std::uint32_t sequence = 0;  // position in the log; the Spec ID event is 0
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;            // see event_types.h
  std::vector<EventDigest> digests;  // one per algorithm of the log, in the event's order
  Bytes data;
  DecodedEventData decoded;
  std::string decode_problem;  // why data that should have a structure has not; empty otherwise
};

class EventLog {
 public:
  // Refuses (InvalidArgument, naming the event and its offset) truncated events,
  // trailing bytes, PCR indexes above 23, a digest count or algorithm that
  // differs from the Spec ID event's, a second Spec ID event, a malformed
  // StartupLocality or one after PCR 0 was extended, and logs beyond the limits above.
  // An event whose data does not decode is kept, with its decode_problem.
  static Result<EventLog> Parse(ByteView log);

  EventLogFormat format() const { return format_; }
  // The crypto-agile format's header, also events()[0].
  const std::optional<SpecIdEvent>& spec_id() const { return spec_id_; }
  const std::vector<Event>& events() const { return events_; }
  // The algorithms every event has a digest of: the Spec ID event's, or SHA-1 alone.
  const std::vector<std::uint16_t>& algorithms() const { return algorithms_; }
  // From a StartupLocality event, if the log has one.
  std::optional<std::uint8_t> startup_locality() const { return startup_locality_; }

 private:
  friend class EventLogParser;
  EventLog() = default;

  EventLogFormat format_ = EventLogFormat::kSha1;
  std::optional<SpecIdEvent> spec_id_;
  std::vector<Event> events_;
  std::vector<std::uint16_t> algorithms_;
  std::optional<std::uint8_t> startup_locality_;
};

}  // namespace vtpmd::policy
