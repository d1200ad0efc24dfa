#include "server/http/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vtpmd::http {
namespace {

constexpr std::array<std::string_view, 7> kMethods = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
constexpr std::string_view kOtherMethod = "OTHER";

// Upper bounds in seconds, chosen around API latencies: sub-millisecond for
// cached reads up to seconds for TPM operations.
constexpr std::array<double, 14> kBucketBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1,    0.25,  0.5,    1.0,   2.5,  5.0,  10.0};
constexpr std::array<std::string_view, 14> kBucketLabels = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                                            "0.025",  "0.05",  "0.1",    "0.25",  "0.5",
                                                            "1",      "2.5",   "5",      "10"};

constexpr std::size_t kComboCapacity = 64;  // (method, status) pairs per route; a power of two

std::uint32_t MethodIndex(std::string_view method) {
  for (std::size_t i = 0; i < kMethods.size(); ++i) {
    if (kMethods[i] == method) return static_cast<std::uint32_t>(i);
  }
  return static_cast<std::uint32_t>(kMethods.size());
}

std::string_view MethodName(std::uint32_t index) { return index < kMethods.size() ? kMethods[index] : kOtherMethod; }

void AppendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void AppendDouble(std::string& out, double value) {
  char buffer[32];
  const int n = std::snprintf(buffer, sizeof buffer, "%.17g", value);
  out.append(buffer, static_cast<std::size_t>(n));
}

// Exact decimal: a float would drift once the sum grows large.
void AppendNanosAsSeconds(std::string& out, std::uint64_t nanos) {
  char buffer[32];
  const int n = std::snprintf(buffer, sizeof buffer, "%llu.%09llu", static_cast<unsigned long long>(nanos / 1000000000u),
                              static_cast<unsigned long long>(nanos % 1000000000u));
  out.append(buffer, static_cast<std::size_t>(n));
}

bool IsMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

}  // namespace

struct Metrics::RouteSlot {
  explicit RouteSlot(std::string_view name) : route(name) {}

  void Count(std::uint32_t method, unsigned status) {
    // Key 0 marks an empty entry; the +1 keeps every real key non-zero.
    const std::uint32_t key = ((method + 1) << 16) | (status & 0xFFFFu);
    std::size_t index = (key * 2654435761u) & (kComboCapacity - 1);
    for (std::size_t probe = 0; probe < kComboCapacity; ++probe, index = (index + 1) & (kComboCapacity - 1)) {
      std::uint32_t seen = keys[index].load(std::memory_order_acquire);
      if (seen == 0 && keys[index].compare_exchange_strong(seen, key, std::memory_order_acq_rel)) seen = key;
      if (seen == key) {
        counts[index].fetch_add(1, std::memory_order_relaxed);
        return;
      }
    }
    overflow.fetch_add(1, std::memory_order_relaxed);
  }

  void Observe(std::chrono::nanoseconds duration) {
    const double seconds = std::chrono::duration<double>(duration).count();
    const auto bucket = static_cast<std::size_t>(
        std::lower_bound(kBucketBounds.begin(), kBucketBounds.end(), seconds) - kBucketBounds.begin());
    buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_ns.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, duration.count())), std::memory_order_relaxed);
  }

  std::uint64_t Total() const {
    std::uint64_t total = 0;
    for (const auto& bucket : buckets) total += bucket.load(std::memory_order_relaxed);
    return total;
  }

  const std::string route;
  std::array<std::atomic<std::uint32_t>, kComboCapacity> keys{};
  std::array<std::atomic<std::uint64_t>, kComboCapacity> counts{};
  std::atomic<std::uint64_t> overflow{0};
  std::array<std::atomic<std::uint64_t>, kBucketBounds.size() + 1> buckets{};  // last one is +Inf
  std::atomic<std::uint64_t> sum_ns{0};
};

Metrics::Metrics() : overflow_(std::make_unique<RouteSlot>("(overflow)")) {}

Metrics::~Metrics() {
  for (auto& slot : routes_) delete slot.load(std::memory_order_acquire);
}

Metrics::RouteSlot& Metrics::SlotFor(std::string_view route) {
  std::size_t index = std::hash<std::string_view>{}(route) & (kRouteCapacity - 1);
  for (std::size_t probe = 0; probe < kRouteCapacity; ++probe, index = (index + 1) & (kRouteCapacity - 1)) {
    RouteSlot* slot = routes_[index].load(std::memory_order_acquire);
    if (slot == nullptr) {
      auto fresh = std::make_unique<RouteSlot>(route);
      if (routes_[index].compare_exchange_strong(slot, fresh.get(), std::memory_order_acq_rel)) return *fresh.release();
      // Another thread published a slot here first; `slot` now holds it.
    }
    if (slot->route == route) return *slot;
  }
  return *overflow_;
}

void Metrics::Record(std::string_view route, std::string_view method, unsigned status,
                     std::chrono::nanoseconds duration) {
  RouteSlot& slot = SlotFor(route);
  slot.Count(MethodIndex(method), status);
  slot.Observe(duration);
}

Status Metrics::RegisterGauge(std::string name, std::string help, std::function<double()> read) {
  if (!IsMetricName(name)) return InvalidArgument("invalid metric name: " + name);
  if (name.starts_with("vtpmd_http_")) return AlreadyExists("metric name reserved for HTTP metrics: " + name);
  std::lock_guard lock(gauges_mu_);
  for (const Gauge& gauge : gauges_) {
    if (gauge.name == name) return AlreadyExists("gauge already registered: " + name);
  }
  gauges_.push_back({std::move(name), std::move(help), std::move(read)});
  return Ok();
}

std::string Metrics::Render() const {
  std::vector<const RouteSlot*> slots;
  for (const auto& entry : routes_) {
    if (const RouteSlot* slot = entry.load(std::memory_order_acquire)) slots.push_back(slot);
  }
  if (overflow_->Total() > 0) slots.push_back(overflow_.get());
  std::sort(slots.begin(), slots.end(), [](const RouteSlot* a, const RouteSlot* b) { return a->route < b->route; });

  std::string out;
  out.reserve(1024 + slots.size() * 2048);
  out += "# HELP vtpmd_http_requests_total HTTP requests by route pattern, method and status.\n";
  out += "# TYPE vtpmd_http_requests_total counter\n";
  auto counter_line = [&out](const RouteSlot& slot, std::string_view method, std::string_view status, std::uint64_t n) {
    out += "vtpmd_http_requests_total{route=\"";
    AppendLabelValue(out, slot.route);
    out += "\",method=\"";
    out += method;
    out += "\",status=\"";
    out += status;
    out += "\"} ";
    out += std::to_string(n);
    out += '\n';
  };
  for (const RouteSlot* slot : slots) {
    std::vector<std::pair<std::uint32_t, std::uint64_t>> combos;
    for (std::size_t i = 0; i < kComboCapacity; ++i) {
      const std::uint32_t key = slot->keys[i].load(std::memory_order_acquire);
      if (key != 0) combos.emplace_back(key, slot->counts[i].load(std::memory_order_relaxed));
    }
    std::sort(combos.begin(), combos.end());
    for (const auto& [key, count] : combos) {
      counter_line(*slot, MethodName((key >> 16) - 1), std::to_string(key & 0xFFFFu), count);
    }
    if (const std::uint64_t lost = slot->overflow.load(std::memory_order_relaxed); lost > 0) {
      counter_line(*slot, kOtherMethod, "other", lost);
    }
  }

  out += "# HELP vtpmd_http_request_duration_seconds Time from a complete request to its response, by route pattern.\n";
  out += "# TYPE vtpmd_http_request_duration_seconds histogram\n";
  for (const RouteSlot* slot : slots) {
    std::string label = "route=\"";
    AppendLabelValue(label, slot->route);
    label += '"';
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < slot->buckets.size(); ++i) {
      cumulative += slot->buckets[i].load(std::memory_order_relaxed);
      out += "vtpmd_http_request_duration_seconds_bucket{" + label + ",le=\"";
      out += i < kBucketLabels.size() ? kBucketLabels[i] : std::string_view("+Inf");
      out += "\"} " + std::to_string(cumulative) + '\n';
    }
    out += "vtpmd_http_request_duration_seconds_sum{" + label + "} ";
    AppendNanosAsSeconds(out, slot->sum_ns.load(std::memory_order_relaxed));
    out += "\nvtpmd_http_request_duration_seconds_count{" + label + "} " + std::to_string(cumulative) + '\n';
  }

  out += "# HELP vtpmd_http_open_streams Streamed responses (Server-Sent Events) in progress.\n";
  out += "# TYPE vtpmd_http_open_streams gauge\nvtpmd_http_open_streams ";
  out += std::to_string(open_streams_.load(std::memory_order_relaxed));
  out += '\n';

  std::lock_guard lock(gauges_mu_);
  for (const Gauge& gauge : gauges_) {
    out += "# HELP " + gauge.name + ' ';
    for (char c : gauge.help) out += c == '\n' ? ' ' : c;
    out += "\n# TYPE " + gauge.name + " gauge\n" + gauge.name + ' ';
    AppendDouble(out, gauge.read());
    out += '\n';
  }
  return out;
}

}  // namespace vtpmd::http
