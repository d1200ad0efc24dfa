#pragma once
// `vtpmctl eventlog show FILE` and `vtpmctl eventlog replay FILE`: a TCG firmware
// event log (e.g. /sys/kernel/security/tpm0/binary_bios_measurements) as JSON,
// offline. Byte strings are lower-case hex.

#include <boost/json/object.hpp>
#include <filesystem>

#include "core/result.h"

namespace vtpmd::cli {

// {"format", "spec_id"?, "startup_locality"?, "events": [{"sequence", "pcr", "type",
//  "type_value", "digests": {bank: hex}, "data", "decoded"?, "decode_problem"?}]}
Result<boost::json::object> EventLogShowJson(const std::filesystem::path& file);

// {"pcrs": {bank: {"<pcr>": hex}}}: the PCRs the log's events extend, per bank, as
// `tpm2_eventlog` prints in its "pcrs" section and `vtpmctl platform show --json` in its.
Result<boost::json::object> EventLogReplayJson(const std::filesystem::path& file);

}  // namespace vtpmd::cli
