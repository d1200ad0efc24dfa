#include "policy/event_log.h"

#include <tss2/tss2_tpm2_types.h>

#include <algorithm>
#include <string>
#include <utility>

#include "core/byte_reader.h"
#include "policy/digest_algorithm.h"
#include "policy/event_types.h"

namespace vtpmd::policy {
namespace {

constexpr std::size_t kSha1DigestSize = 20;
constexpr std::size_t kMebibyte = 1024 * 1024;

// An event as read, before its meaning is checked.
struct EventRecord {
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
  std::vector<EventDigest> digests;
  ByteView data;
};

Result<ByteView> ReadEventData(ByteReader& reader) {
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t size, reader.U32Le());
  if (size > kMaxTotalEventData) {
    return InvalidArgument("event size " + std::to_string(size) + " exceeds the " +
                           std::to_string(kMaxTotalEventData / kMebibyte) + " MiB limit");
  }
  return reader.Take(size);
}

Result<EventRecord> ReadSha1Event(ByteReader& reader) {
  EventRecord out;
  VTPMD_ASSIGN_OR_RETURN(out.pcr, reader.U32Le());
  VTPMD_ASSIGN_OR_RETURN(out.type, reader.U32Le());
  VTPMD_ASSIGN_OR_RETURN(ByteView digest, reader.Take(kSha1DigestSize));
  out.digests.push_back(EventDigest{TPM2_ALG_SHA1, Bytes(digest.begin(), digest.end())});
  VTPMD_ASSIGN_OR_RETURN(out.data, ReadEventData(reader));
  return out;
}

Result<std::uint16_t> DigestSizeOf(std::uint16_t algorithm_id, const SpecIdEvent& spec_id) {
  for (const SpecIdAlgorithm& algorithm : spec_id.algorithms) {
    if (algorithm.algorithm_id == algorithm_id) return algorithm.digest_size;
  }
  return InvalidArgument("a digest of " + DigestAlgorithmName(algorithm_id) +
                         ", an algorithm the Spec ID event does not list");
}

Result<EventRecord> ReadEvent2(ByteReader& reader, const SpecIdEvent& spec_id) {
  EventRecord out;
  VTPMD_ASSIGN_OR_RETURN(out.pcr, reader.U32Le());
  VTPMD_ASSIGN_OR_RETURN(out.type, reader.U32Le());
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t count, reader.U32Le());
  if (count != spec_id.algorithms.size()) {
    return InvalidArgument(std::to_string(count) + " digests where the Spec ID event lists " +
                           std::to_string(spec_id.algorithms.size()) + " algorithms");
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    VTPMD_ASSIGN_OR_RETURN(std::uint16_t algorithm_id, reader.U16Le());
    VTPMD_ASSIGN_OR_RETURN(std::uint16_t size, DigestSizeOf(algorithm_id, spec_id));
    if (std::any_of(out.digests.begin(), out.digests.end(),
                    [&](const EventDigest& earlier) { return earlier.algorithm_id == algorithm_id; })) {
      return InvalidArgument("two digests of " + DigestAlgorithmName(algorithm_id));
    }
    VTPMD_ASSIGN_OR_RETURN(ByteView digest, reader.Take(size));
    out.digests.push_back(EventDigest{algorithm_id, Bytes(digest.begin(), digest.end())});
  }
  VTPMD_ASSIGN_OR_RETURN(out.data, ReadEventData(reader));
  return out;
}

bool IsSpecIdEvent(const EventRecord& record) {
  return record.type == kEvNoAction && HasSpecIdEvent03Signature(record.data);
}

}  // namespace

std::string_view EventLogFormatName(EventLogFormat format) {
  switch (format) {
    case EventLogFormat::kSha1: return "sha1";
    case EventLogFormat::kCryptoAgile: return "crypto-agile";
  }
  return "sha1";
}

// Reads events one by one into a log that only Parse() hands out, and only whole.
class EventLogParser {
 public:
  explicit EventLogParser(ByteView bytes) : reader_(bytes) {}

  Result<EventLog> Parse() && {
    while (reader_.remaining() > 0) {
      const std::size_t offset = reader_.offset();
      if (log_.events_.size() == kMaxEvents) {
        return InvalidArgument("the event log has more than " + std::to_string(kMaxEvents) + " events");
      }
      if (Status status = ParseEvent(); !status.ok()) {
        return status.error().WithContext("event " + std::to_string(log_.events_.size()) + " at offset " +
                                          std::to_string(offset));
      }
    }
    if (log_.algorithms_.empty()) log_.algorithms_ = {TPM2_ALG_SHA1};
    return std::move(log_);
  }

 private:
  Status ParseEvent() {
    VTPMD_ASSIGN_OR_RETURN(EventRecord record,
                           log_.spec_id_ ? ReadEvent2(reader_, *log_.spec_id_) : ReadSha1Event(reader_));
    if (record.pcr > kMaxPcrIndex) {
      return InvalidArgument("PCR index " + std::to_string(record.pcr) + " is above " + std::to_string(kMaxPcrIndex));
    }
    if (record.data.size() > kMaxTotalEventData - total_data_) {
      return InvalidArgument("the events' data exceeds " + std::to_string(kMaxTotalEventData / kMebibyte) +
                             " MiB in total");
    }
    total_data_ += record.data.size();
    if (IsSpecIdEvent(record)) VTPMD_RETURN_IF_ERROR(TakeSpecIdEvent(record));

    Event event;
    event.sequence = static_cast<std::uint32_t>(log_.events_.size());
    event.pcr = record.pcr;
    event.type = record.type;
    event.digests = std::move(record.digests);
    event.data.assign(record.data.begin(), record.data.end());
    auto decoded = DecodeEventData(event.type, event.data);
    if (decoded.ok()) {
      event.decoded = std::move(*decoded);
    } else if (event.type == kEvNoAction) {
      return std::move(decoded).error();  // its data decides how the replay starts
    } else {
      event.decode_problem = decoded.error().message();
    }
    VTPMD_RETURN_IF_ERROR(TrackPcr0(event));
    log_.events_.push_back(std::move(event));
    return Ok();
  }

  Status TakeSpecIdEvent(const EventRecord& record) {
    if (!log_.events_.empty()) return InvalidArgument("a Spec ID event may only open the log");
    if (record.pcr != 0) return InvalidArgument("the Spec ID event is logged to PCR " + std::to_string(record.pcr));
    VTPMD_ASSIGN_OR_RETURN(SpecIdEvent spec_id, ParseSpecIdEvent(record.data));
    for (const SpecIdAlgorithm& algorithm : spec_id.algorithms) log_.algorithms_.push_back(algorithm.algorithm_id);
    log_.format_ = EventLogFormat::kCryptoAgile;
    log_.spec_id_ = std::move(spec_id);
    return Ok();
  }

  // A StartupLocality event describes TPM2_Startup, so it must precede every
  // measurement into PCR 0 and occur once.
  Status TrackPcr0(const Event& event) {
    const auto* no_action = std::get_if<NoActionEvent>(&event.decoded);
    if (no_action == nullptr || !no_action->startup_locality) {
      pcr0_extended_ = pcr0_extended_ || (event.pcr == 0 && event.type != kEvNoAction);
      return Ok();
    }
    if (event.pcr != 0) return InvalidArgument("a StartupLocality event is logged to PCR " + std::to_string(event.pcr));
    if (log_.startup_locality_) return InvalidArgument("a second StartupLocality event");
    if (pcr0_extended_) return InvalidArgument("a StartupLocality event after PCR 0 was extended");
    log_.startup_locality_ = no_action->startup_locality;
    return Ok();
  }

  ByteReader reader_;
  EventLog log_;
  std::size_t total_data_ = 0;
  bool pcr0_extended_ = false;
};

Result<EventLog> EventLog::Parse(ByteView log) {
  if (log.empty()) return InvalidArgument("the event log is empty");
  if (log.size() > kMaxEventLogSize) {
    return InvalidArgument("the event log is " + std::to_string(log.size()) + " bytes, more than the " +
                           std::to_string(kMaxEventLogSize / kMebibyte) + " MiB accepted");
  }
  return EventLogParser(log).Parse();
}

}  // namespace vtpmd::policy
