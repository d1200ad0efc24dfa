#include "server/app/log.h"

#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>
#include <string>

#include "server/api/time_format.h"

namespace vtpmd::app {

void Log(LogLevel level, std::string_view message) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  const char* level_name = level == LogLevel::kInfo ? "info" : level == LogLevel::kWarning ? "warning" : "error";
  std::string line = boost::json::serialize(boost::json::object{
      {"time", api::Rfc3339FromUnixSeconds(now)}, {"level", level_name}, {"msg", message}});
  line += '\n';
  // One write() per line keeps lines whole when several threads log at once.
  [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace vtpmd::app
