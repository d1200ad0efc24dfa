// HTTPS/1.1 load generator for tests/bench/http_bench.sh: N keep-alive TLS
// connections spread over T threads, each sending GET <path> back to back for a
// fixed time after a warm-up. Loopback targets only: this is a benchmark tool,
// not a way to load someone else's server. Prints one JSON object:
//   {"requests":..,"errors":..,"seconds":..,"rps":..,"p50_ms":..,"p99_ms":..,"max_ms":..}
//
//   vtpmd_loadgen --port 8443 [--host 127.0.0.1] [--connections 32] [--threads 1]
//                 [--duration 10] [--warmup 2] [--path /healthz]

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/http/tls_context.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

constexpr unsigned kMaxDurationSeconds = 600;
constexpr unsigned kMaxConnections = 10000;
constexpr std::chrono::seconds kOpTimeout{10};

enum class Phase { kWarmup, kMeasure, kDone };
std::atomic<Phase> g_phase{Phase::kWarmup};

// 10 µs buckets up to 2 s, allocated once per thread; slower requests land in the
// last bucket and still count towards max.
class LatencyHistogram {
 public:
  static constexpr std::uint64_t kBucketNanos = 10'000;
  static constexpr std::size_t kBuckets = 200'000;

  LatencyHistogram() : buckets_(kBuckets, 0) {}

  void Add(std::chrono::nanoseconds latency) {
    const auto nanos = static_cast<std::uint64_t>(std::max<std::int64_t>(0, latency.count()));
    ++buckets_[std::min<std::size_t>(nanos / kBucketNanos, kBuckets - 1)];
    max_nanos_ = std::max(max_nanos_, nanos);
    ++count_;
  }

  void Merge(const LatencyHistogram& other) {
    for (std::size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
    max_nanos_ = std::max(max_nanos_, other.max_nanos_);
    count_ += other.count_;
  }

  // Upper edge of the bucket holding the q-quantile, in milliseconds.
  double QuantileMs(double q) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += buckets_[i];
      if (seen >= rank) return static_cast<double>((i + 1) * kBucketNanos) / 1e6;
    }
    return MaxMs();
  }
  double MaxMs() const { return static_cast<double>(max_nanos_) / 1e6; }
  std::uint64_t count() const { return count_; }

 private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t max_nanos_ = 0;
  std::uint64_t count_ = 0;
};

struct Worker {
  asio::io_context ioc{1};
  LatencyHistogram histogram;
  std::uint64_t errors = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Worker& worker, asio::ssl::context& ssl_ctx, tcp::endpoint endpoint, const std::string& path)
      : worker_(worker), ssl_ctx_(ssl_ctx), endpoint_(endpoint) {
    request_.method(bhttp::verb::get);
    request_.target(path);
    request_.version(11);
    request_.set(bhttp::field::host, endpoint.address().to_string());
    request_.set(bhttp::field::user_agent, "vtpmd_loadgen");
    request_.keep_alive(true);
  }

  void Start() {
    if (g_phase.load() == Phase::kDone) return;
    stream_.emplace(worker_.ioc, ssl_ctx_);
    buffer_.clear();
    beast::get_lowest_layer(*stream_).expires_after(kOpTimeout);
    beast::get_lowest_layer(*stream_).async_connect(endpoint_, beast::bind_front_handler(&Connection::OnConnect, shared_from_this()));
  }

 private:
  void OnConnect(beast::error_code ec) {
    if (ec) return Failed();
    stream_->async_handshake(asio::ssl::stream_base::client,
                             beast::bind_front_handler(&Connection::OnHandshake, shared_from_this()));
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) return Failed();
    Send();
  }

  void Send() {
    if (g_phase.load(std::memory_order_relaxed) == Phase::kDone) return;
    sent_at_ = SteadyClock::now();
    beast::get_lowest_layer(*stream_).expires_after(kOpTimeout);
    bhttp::async_write(*stream_, request_, beast::bind_front_handler(&Connection::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    if (ec) return Failed();
    parser_.emplace();
    bhttp::async_read(*stream_, buffer_, *parser_, beast::bind_front_handler(&Connection::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) return Failed();
    const bool ok = parser_->get().result_int() == 200;
    if (g_phase.load(std::memory_order_relaxed) == Phase::kMeasure) {
      if (ok) {
        worker_.histogram.Add(SteadyClock::now() - sent_at_);
      } else {
        ++worker_.errors;
      }
    }
    if (!parser_->get().keep_alive()) return Start();
    Send();
  }

  void Failed() {
    if (g_phase.load() == Phase::kMeasure) ++worker_.errors;
    Start();  // a fresh connection, unless the run is over
  }

  Worker& worker_;
  asio::ssl::context& ssl_ctx_;
  const tcp::endpoint endpoint_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::empty_body> request_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  SteadyClock::time_point sent_at_;
};

bool ParseUnsigned(const char* text, unsigned max, unsigned& out) {
  const std::string_view view(text);
  const auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), out);
  return ec == std::errc() && end == view.data() + view.size() && out <= max;
}

int Usage(const char* message) {
  std::fprintf(stderr, "vtpmd_loadgen: %s\nusage: vtpmd_loadgen --port N [--host 127.0.0.1] [--connections 32] "
                       "[--threads 1] [--duration 10] [--warmup 2] [--path /healthz]\n", message);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", path = "/healthz";
  unsigned port = 0, connections = 32, threads = 1, duration = 10, warmup = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    bool ok = true;
    if (flag == "--host") {
      host = argv[i + 1];
    } else if (flag == "--path") {
      path = argv[i + 1];
    } else if (flag == "--port") {
      ok = ParseUnsigned(argv[i + 1], 65535, port) && port != 0;
    } else if (flag == "--connections") {
      ok = ParseUnsigned(argv[i + 1], kMaxConnections, connections) && connections != 0;
    } else if (flag == "--threads") {
      ok = ParseUnsigned(argv[i + 1], 64, threads) && threads != 0;
    } else if (flag == "--duration") {
      ok = ParseUnsigned(argv[i + 1], kMaxDurationSeconds, duration) && duration != 0;
    } else if (flag == "--warmup") {
      ok = ParseUnsigned(argv[i + 1], 60, warmup);
    } else {
      return Usage("unknown flag");
    }
    if (!ok) return Usage(("bad value for " + flag).c_str());
  }
  if (argc % 2 == 0 || port == 0) return Usage("--port is required and every flag takes a value");
  beast::error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec || !address.is_loopback()) return Usage("--host must be a loopback IP address");

  asio::ssl::context ssl_ctx(asio::ssl::context::tls_client);
  // No verification: loopback only, and both servers under test share one certificate.
  if (auto status = vtpmd::http::ConfigureClientTls(ssl_ctx.native_handle(), "", true); !status.ok()) {
    return Usage(status.error().message().c_str());
  }

  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned t = 0; t < threads; ++t) workers.push_back(std::make_unique<Worker>());
  const tcp::endpoint endpoint(address, static_cast<std::uint16_t>(port));
  for (unsigned c = 0; c < connections; ++c) {
    std::make_shared<Connection>(*workers[c % threads], ssl_ctx, endpoint, path)->Start();
  }
  std::vector<std::thread> runners;
  for (auto& worker : workers) runners.emplace_back([&worker] { worker->ioc.run(); });

  std::this_thread::sleep_for(std::chrono::seconds(warmup));
  const auto start = SteadyClock::now();
  g_phase = Phase::kMeasure;
  std::this_thread::sleep_for(std::chrono::seconds(duration));
  g_phase = Phase::kDone;
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  for (auto& worker : workers) worker->ioc.stop();
  for (auto& runner : runners) runner.join();

  LatencyHistogram total;
  std::uint64_t errors = 0;
  for (auto& worker : workers) {
    total.Merge(worker->histogram);
    errors += worker->errors;
  }
  std::printf("{\"requests\":%llu,\"errors\":%llu,\"seconds\":%.3f,\"rps\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
              "\"max_ms\":%.3f,\"connections\":%u,\"threads\":%u}\n",
              static_cast<unsigned long long>(total.count()), static_cast<unsigned long long>(errors), seconds,
              static_cast<double>(total.count()) / seconds, total.QuantileMs(0.50), total.QuantileMs(0.99),
              total.MaxMs(), connections, threads);
  return 0;
}
