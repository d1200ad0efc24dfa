#include "server/http/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace vtpmd::http {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

bool Contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(Metrics, CountsByRouteMethodAndStatus) {
  Metrics metrics;
  metrics.Record("/healthz", "GET", 200, microseconds(100));
  metrics.Record("/healthz", "GET", 200, microseconds(100));
  metrics.Record("/healthz", "GET", 503, microseconds(100));
  metrics.Record("/v1/instances/{id}", "DELETE", 404, microseconds(100));
  const std::string text = metrics.Render();
  EXPECT_TRUE(Contains(text, "# TYPE vtpmd_http_requests_total counter\n"));
  EXPECT_TRUE(Contains(text, "vtpmd_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2\n"));
  EXPECT_TRUE(Contains(text, "vtpmd_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"503\"} 1\n"));
  EXPECT_TRUE(
      Contains(text, "vtpmd_http_requests_total{route=\"/v1/instances/{id}\",method=\"DELETE\",status=\"404\"} 1\n"));
}

TEST(Metrics, UnknownMethodsShareOneLabel) {
  Metrics metrics;
  metrics.Record("/x", "BREW", 405, microseconds(1));
  metrics.Record("/x", "WHEN", 405, microseconds(1));
  EXPECT_TRUE(Contains(metrics.Render(), "vtpmd_http_requests_total{route=\"/x\",method=\"OTHER\",status=\"405\"} 2\n"));
}

TEST(Metrics, HistogramIsCumulativeWithSumAndCount) {
  Metrics metrics;
  metrics.Record("/r", "GET", 200, microseconds(300));  // <= 0.0005
  metrics.Record("/r", "GET", 200, milliseconds(3));    // <= 0.005
  metrics.Record("/r", "GET", 200, std::chrono::seconds(20));  // +Inf only
  const std::string text = metrics.Render();
  EXPECT_TRUE(Contains(text, "# TYPE vtpmd_http_request_duration_seconds histogram\n"));
  EXPECT_TRUE(Contains(text, "vtpmd_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.0005\"} 1\n"));
  EXPECT_TRUE(Contains(text, "vtpmd_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.0025\"} 1\n"));
  EXPECT_TRUE(Contains(text, "vtpmd_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.005\"} 2\n"));
  EXPECT_TRUE(Contains(text, "vtpmd_http_request_duration_seconds_bucket{route=\"/r\",le=\"10\"} 2\n"));
  EXPECT_TRUE(Contains(text, "vtpmd_http_request_duration_seconds_bucket{route=\"/r\",le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(Contains(text, "vtpmd_http_request_duration_seconds_sum{route=\"/r\"} 20.003300000\n"));
  EXPECT_TRUE(Contains(text, "vtpmd_http_request_duration_seconds_count{route=\"/r\"} 3\n"));
}

TEST(Metrics, EscapesLabelValues) {
  Metrics metrics;
  metrics.Record("/a\"b\\c", "GET", 200, microseconds(1));
  EXPECT_TRUE(Contains(metrics.Render(), "route=\"/a\\\"b\\\\c\""));
}

TEST(Metrics, RoutesBeyondCapacityShareTheOverflowLabel) {
  Metrics metrics;
  std::vector<std::string> routes;
  for (int i = 0; i < 300; ++i) routes.push_back("/r" + std::to_string(i));
  for (const auto& route : routes) metrics.Record(route, "GET", 200, microseconds(1));
  const std::string text = metrics.Render();
  EXPECT_TRUE(Contains(text, "route=\"(overflow)\",method=\"GET\",status=\"200\"} 44\n"));
}

TEST(Metrics, ConcurrentRecordsAreAllCounted) {
  Metrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < 5000; ++i) {
        metrics.Record(t % 2 == 0 ? "/even" : "/odd", "GET", 200 + static_cast<unsigned>(i % 3), microseconds(5));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const std::string text = metrics.Render();
  EXPECT_TRUE(Contains(text, "vtpmd_http_request_duration_seconds_count{route=\"/even\"} 10000\n"));
  EXPECT_TRUE(Contains(text, "vtpmd_http_request_duration_seconds_count{route=\"/odd\"} 10000\n"));
  EXPECT_TRUE(Contains(text, "vtpmd_http_requests_total{route=\"/odd\",method=\"GET\",status=\"201\"} 3334\n"));
}

TEST(Metrics, GaugesAreReadAtScrapeTime) {
  Metrics metrics;
  double value = 1;
  ASSERT_TRUE(metrics.RegisterGauge("vtpmd_platform_simulated", "1 when the platform TPM is swtpm.",
                                    [&value] { return value; }).ok());
  EXPECT_TRUE(Contains(metrics.Render(),
                       "# HELP vtpmd_platform_simulated 1 when the platform TPM is swtpm.\n"
                       "# TYPE vtpmd_platform_simulated gauge\nvtpmd_platform_simulated 1\n"));
  value = 0.5;
  EXPECT_TRUE(Contains(metrics.Render(), "vtpmd_platform_simulated 0.5\n"));
  EXPECT_FALSE(metrics.RegisterGauge("vtpmd_platform_simulated", "again", [] { return 0.0; }).ok());
  EXPECT_FALSE(metrics.RegisterGauge("9bad name", "x", [] { return 0.0; }).ok());
}

}  // namespace
}  // namespace vtpmd::http
