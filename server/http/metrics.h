#pragma once
// Prometheus text exposition for HTTP traffic plus gauges registered by others.
// Record() is on every request's path, so it takes no lock: routes live in a
// fixed-size open-addressed table of atomically published slots, and each slot
// holds atomic counters. Cardinality is bounded by construction: route labels are
// patterns (kUnmatchedRoute for everything else), methods outside the standard
// set share "OTHER", and the tables have fixed capacity.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace vtpmd::http {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void Record(std::string_view route, std::string_view method, unsigned status, std::chrono::nanoseconds duration);
  // Streamed responses (Server-Sent Events) in progress: vtpmd_http_open_streams.
  void StreamOpened() { open_streams_.fetch_add(1, std::memory_order_relaxed); }
  void StreamClosed() { open_streams_.fetch_sub(1, std::memory_order_relaxed); }

  // `read` is called at each scrape, possibly from any thread. Names follow the
  // Prometheus grammar; a name may be registered once.
  Status RegisterGauge(std::string name, std::string help, std::function<double()> read);

  std::string Render() const;

 private:
  struct RouteSlot;
  struct Gauge {
    std::string name;
    std::string help;
    std::function<double()> read;
  };
  static constexpr std::size_t kRouteCapacity = 256;  // a power of two

  RouteSlot& SlotFor(std::string_view route);

  std::array<std::atomic<RouteSlot*>, kRouteCapacity> routes_{};
  std::unique_ptr<RouteSlot> overflow_;  // routes beyond capacity share this label
  std::atomic<std::int64_t> open_streams_{0};

  mutable std::mutex gauges_mu_;  // scrape and registration only, never per request
  std::vector<Gauge> gauges_;
};

}  // namespace vtpmd::http
