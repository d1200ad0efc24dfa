#pragma once
// The real event logs in tests/data/eventlogs and the PCR values their TPMs
// reported (expected-pcrs.json).

#include <string>
#include <vector>

#include "core/result.h"
#include "policy/event_log_replay.h"

namespace vtpmd::testing {

struct EventLogVector {
  std::string name;
  std::string file;  // relative to tests/data, for ReadTestData()
  policy::PcrValues expected;
};

Result<std::vector<EventLogVector>> LoadEventLogVectors();
// Every *.bin in tests/data/eventlogs, so that a log without expected values is noticed.
std::vector<std::string> EventLogFiles();

}  // namespace vtpmd::testing
