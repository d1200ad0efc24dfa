#include "server/cli/event_log_json.h"

#include <string>

#include "core/file_io.h"
#include "policy/event_log.h"
#include "policy/event_log_json.h"
#include "policy/event_log_replay.h"

namespace vtpmd::cli {
namespace {

Result<policy::EventLog> ReadEventLog(const std::filesystem::path& file) {
  VTPMD_ASSIGN_OR_RETURN(std::string bytes, ReadSmallFile(file, policy::kMaxEventLogSize));
  auto log = policy::EventLog::Parse(AsBytes(bytes));
  if (!log.ok()) return log.error().WithContext(file.string());
  return log;
}

}  // namespace

Result<boost::json::object> EventLogShowJson(const std::filesystem::path& file) {
  VTPMD_ASSIGN_OR_RETURN(policy::EventLog log, ReadEventLog(file));
  return policy::EventLogJson(log);
}

Result<boost::json::object> EventLogReplayJson(const std::filesystem::path& file) {
  VTPMD_ASSIGN_OR_RETURN(policy::EventLog log, ReadEventLog(file));
  VTPMD_ASSIGN_OR_RETURN(policy::PcrValues replayed, policy::ReplayEventLog(log));
  return boost::json::object{{"pcrs", policy::PcrValuesJsonObject(replayed)}};
}

}  // namespace vtpmd::cli
