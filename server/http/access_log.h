#pragma once
// One JSON object per line per request. Never carries Authorization headers or
// bodies: the entry type has no field for them.

#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <string_view>

#include "core/clock.h"

namespace vtpmd::http {

struct AccessLogEntry {
  TimePoint time;  // when the response was queued
  std::string_view request_id;
  std::string_view peer;
  std::string_view method;
  std::string_view route;  // the pattern, not the raw path: paths may carry ids
  unsigned status = 0;
  std::size_t bytes = 0;  // response body bytes
  std::chrono::microseconds duration{0};
  std::string_view user_agent;  // truncated to kMaxUserAgent bytes
};

class AccessLog {
 public:
  static constexpr std::size_t kMaxUserAgent = 200;

  // The sink stays owned by the caller (stderr by default) and must outlive this.
  explicit AccessLog(int sink_fd = STDERR_FILENO) : fd_(sink_fd) {}

  // Formats into a thread-local buffer and issues one write(); a failing sink
  // loses the line but never fails or slows the request beyond that write.
  void Write(const AccessLogEntry& entry) const;

 private:
  int fd_;
};

}  // namespace vtpmd::http
