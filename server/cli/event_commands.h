#pragma once
// `vtpmctl events list` (a page of the durable event log) and `events tail` (the
// live stream, resumed across dropped connections).

#include <boost/json/value.hpp>

#include <optional>
#include <ostream>
#include <string>

#include "core/result.h"
#include "server/cli/api_client.h"

namespace vtpmd::cli {

struct EventFilter {
  std::optional<std::string> after;  // a seq: start strictly after it
  std::optional<std::string> types;  // comma-separated patterns, e.g. instance.*,attestation.failed
};

// GET /v1/events: {"events": [...], "next_after": SEQ}.
Result<boost::json::value> ListEvents(ApiClient& api, const EventFilter& filter, const std::optional<std::string>& limit);

// One line per event, then the cursor to continue from.
std::string EventPageText(const boost::json::value& page);

// Follows GET /v1/events/stream and writes each event's JSON as one line, flushed,
// as it arrives. A dropped connection is resumed after the last event written
// (Last-Event-ID), after a pause that grows while reconnecting fails. Returns only
// when the server refuses the request (bad filter, denied token).
Status TailEvents(ApiClient& api, const EventFilter& filter, std::ostream& out);

}  // namespace vtpmd::cli
