#pragma once
// TCG event logs and PCR values as JSON, for `vtpmctl eventlog` and for attestation
// results. Byte strings are lower-case hex.

#include <boost/json/object.hpp>

#include "policy/event_log.h"
#include "policy/pcr_values.h"

namespace vtpmd::policy {

// {"format", "spec_id"?, "startup_locality"?, "events": [{"sequence", "pcr", "type",
//  "type_value", "digests": {bank: hex}, "data", "decoded"?, "decode_problem"?}]}
boost::json::object EventLogJson(const EventLog& log);

// {bank: {"<pcr>": hex}}, as `tpm2_eventlog` prints in its "pcrs" section.
boost::json::object PcrValuesJsonObject(const PcrValues& values);

}  // namespace vtpmd::policy
