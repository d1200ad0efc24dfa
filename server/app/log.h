#pragma once
// Start-up and lifecycle messages as JSON lines on stderr, in the same stream as the
// per-request access log, so one collector reads both.

#include <string_view>

namespace vtpmd::app {

enum class LogLevel { kInfo, kWarning, kError };
void Log(LogLevel level, std::string_view message);

}  // namespace vtpmd::app
