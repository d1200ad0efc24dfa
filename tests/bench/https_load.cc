#include "tests/bench/https_load.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>
#include <vector>

#include "server/http/tls_context.h"

namespace vtpmd::bench {
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

// 10 µs buckets up to 2 s, allocated once per thread; slower units land in the
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
  Connection(Worker& worker, asio::ssl::context& ssl_ctx, tcp::endpoint endpoint,
             std::unique_ptr<RequestSequence> sequence)
      : worker_(worker), ssl_ctx_(ssl_ctx), endpoint_(endpoint), host_(endpoint.address().to_string()),
        sequence_(std::move(sequence)) {}

  void Start() {
    if (g_phase.load() == Phase::kDone || !sequence_->HasMoreUnits()) return;
    stream_.emplace(worker_.ioc, ssl_ctx_);
    buffer_.clear();
    beast::get_lowest_layer(*stream_).expires_after(kOpTimeout);
    beast::get_lowest_layer(*stream_).async_connect(endpoint_,
                                                    beast::bind_front_handler(&Connection::OnConnect, shared_from_this()));
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
    if (!in_unit_) {
      // Dropping the last handler's reference closes the connection.
      if (!sequence_->HasMoreUnits()) return;
      unit_started_at_ = SteadyClock::now();
      in_unit_ = true;
    }
    sequence_->Next(request_);
    request_.version(11);
    request_.set(bhttp::field::host, host_);
    request_.set(bhttp::field::user_agent, "vtpmd_loadgen");
    request_.keep_alive(true);
    request_.prepare_payload();
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
    const RequestSequence::Outcome outcome = sequence_->OnResponse(parser_->get());
    const bool measuring = g_phase.load(std::memory_order_relaxed) == Phase::kMeasure;
    if (outcome != RequestSequence::Outcome::kContinue) {
      in_unit_ = false;
      if (measuring && outcome == RequestSequence::Outcome::kDone) {
        worker_.histogram.Add(SteadyClock::now() - unit_started_at_);
      } else if (measuring) {
        ++worker_.errors;
      }
    }
    if (!parser_->get().keep_alive()) {
      Abandon();
      return Start();
    }
    Send();
  }

  void Failed() {
    if (g_phase.load() == Phase::kMeasure) ++worker_.errors;
    Abandon();
    Start();  // a fresh connection, unless the run is over
  }

  void Abandon() {
    if (in_unit_) sequence_->Restart();
    in_unit_ = false;
  }

  Worker& worker_;
  asio::ssl::context& ssl_ctx_;
  const tcp::endpoint endpoint_;
  const std::string host_;
  std::unique_ptr<RequestSequence> sequence_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
  Request request_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  bool in_unit_ = false;
  SteadyClock::time_point unit_started_at_;
};

bool ParseUnsigned(const char* text, unsigned max, unsigned& out) {
  const std::string_view view(text);
  const auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), out);
  return ec == std::errc() && end == view.data() + view.size() && out <= max;
}

bool Usage(std::string_view program, std::string_view usage, const std::string& message) {
  std::fprintf(stderr, "%.*s: %s\n%.*s", static_cast<int>(program.size()), program.data(), message.c_str(),
               static_cast<int>(usage.size()), usage.data());
  return false;
}

}  // namespace

bool ParseLoadFlags(int argc, char** argv, std::string_view program, std::string_view usage, LoadOptions& options,
                    const std::function<bool(std::string_view flag, const char* value)>& extra) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    bool ok = true;
    if (flag == "--host") {
      options.host = value;
    } else if (flag == "--port") {
      ok = ParseUnsigned(value, 65535, options.port) && options.port != 0;
    } else if (flag == "--connections") {
      ok = ParseUnsigned(value, kMaxConnections, options.connections) && options.connections != 0;
    } else if (flag == "--threads") {
      ok = ParseUnsigned(value, 64, options.threads) && options.threads != 0;
    } else if (flag == "--duration") {
      ok = ParseUnsigned(value, kMaxDurationSeconds, options.duration) && options.duration != 0;
    } else if (flag == "--warmup") {
      ok = ParseUnsigned(value, 60, options.warmup);
    } else if (!extra || !extra(flag, value)) {
      return Usage(program, usage, "unknown flag or bad value for " + flag);
    }
    if (!ok) return Usage(program, usage, "bad value for " + flag);
  }
  if (argc % 2 == 0 || options.port == 0) {
    return Usage(program, usage, "--port is required and every flag takes a value");
  }
  beast::error_code ec;
  const asio::ip::address address = asio::ip::make_address(options.host, ec);
  if (ec || !address.is_loopback()) return Usage(program, usage, "--host must be a loopback IP address");
  return true;
}

bool RunLoad(const LoadOptions& options, const SequenceFactory& make_sequence, LoadReport& report) {
  asio::ssl::context ssl_ctx(asio::ssl::context::tls_client);
  // No verification: loopback only, against a server the benchmark started itself.
  if (auto status = http::ConfigureClientTls(ssl_ctx.native_handle(), "", true); !status.ok()) {
    std::fprintf(stderr, "TLS client: %s\n", status.error().message().c_str());
    return false;
  }

  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned t = 0; t < options.threads; ++t) workers.push_back(std::make_unique<Worker>());
  const tcp::endpoint endpoint(asio::ip::make_address(options.host), static_cast<std::uint16_t>(options.port));
  for (unsigned c = 0; c < options.connections; ++c) {
    std::make_shared<Connection>(*workers[c % options.threads], ssl_ctx, endpoint, make_sequence())->Start();
  }
  std::vector<std::thread> runners;
  for (auto& worker : workers) runners.emplace_back([&worker] { worker->ioc.run(); });

  std::this_thread::sleep_for(std::chrono::seconds(options.warmup));
  const auto start = SteadyClock::now();
  g_phase = Phase::kMeasure;
  std::this_thread::sleep_for(std::chrono::seconds(options.duration));
  g_phase = Phase::kDone;
  report.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  for (auto& worker : workers) worker->ioc.stop();
  for (auto& runner : runners) runner.join();

  LatencyHistogram total;
  report.errors = 0;
  for (auto& worker : workers) {
    total.Merge(worker->histogram);
    report.errors += worker->errors;
  }
  report.completed = total.count();
  report.p50_ms = total.QuantileMs(0.50);
  report.p99_ms = total.QuantileMs(0.99);
  report.max_ms = total.MaxMs();
  return true;
}

void PrintReport(const LoadReport& report, const LoadOptions& options, std::string_view count_key,
                 std::string_view rate_key) {
  std::printf("{\"%.*s\":%llu,\"errors\":%llu,\"seconds\":%.3f,\"%.*s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
              "\"max_ms\":%.3f,\"connections\":%u,\"threads\":%u}\n",
              static_cast<int>(count_key.size()), count_key.data(), static_cast<unsigned long long>(report.completed),
              static_cast<unsigned long long>(report.errors), report.seconds, static_cast<int>(rate_key.size()),
              rate_key.data(), static_cast<double>(report.completed) / report.seconds, report.p50_ms, report.p99_ms,
              report.max_ms, options.connections, options.threads);
}

}  // namespace vtpmd::bench
