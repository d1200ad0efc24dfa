#pragma once
// The HTTPS/1.1 load engine of the load generators in tests/bench: N keep-alive
// TLS connections spread over T threads (one io_context each), every connection
// running its own sequence of requests back to back for a fixed time after a
// warm-up. What a sequence asks is up to it: one GET is a unit of work for
// vtpmd_loadgen, a challenge and its activation are one for vtpmd_enroll_loadgen.
// Latency is per unit, from its first request sent to its last response read.
// Loopback targets only: these are benchmark tools, not a way to load someone
// else's server.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace vtpmd::bench {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// The requests of one connection. Called from that connection's thread only.
class RequestSequence {
 public:
  enum class Outcome {
    kContinue,  // the unit goes on: Next() is asked for its next request
    kDone,      // the unit completed
    kFailed,    // the unit failed: one error, and the next unit starts
  };

  virtual ~RequestSequence() = default;
  // Sets method, target, body and headers of its own on `request`, which holds the
  // connection's previous request (kept, so that a sequence repeating one request
  // costs the client nothing per request). The engine sets Host, User-Agent,
  // keep-alive and Content-Length.
  virtual void Next(Request& request) = 0;
  virtual Outcome OnResponse(const Response& response) = 0;
  // The connection was lost mid-unit: the next request begins a new unit.
  virtual void Restart() = 0;
  // Asked before each unit: false ends the connection for the rest of the run. For
  // sequences of prepared requests that can each be sent only once (a TPM quote
  // and its nonce), which cannot repeat the way a GET can.
  virtual bool HasMoreUnits() const { return true; }
};

using SequenceFactory = std::function<std::unique_ptr<RequestSequence>()>;

struct LoadOptions {
  std::string host = "127.0.0.1";
  unsigned port = 0;
  unsigned connections = 32;
  unsigned threads = 1;
  unsigned duration = 10;  // measured seconds
  unsigned warmup = 2;     // unmeasured seconds before
};

struct LoadReport {
  std::uint64_t completed = 0;  // units, during the measured time
  std::uint64_t errors = 0;
  double seconds = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

// Parses --host, --port, --connections, --threads, --duration and --warmup;
// any other "--flag value" goes to `extra`, which returns false for a flag it
// does not know either. On a bad command line prints "<program>: <reason>" and
// `usage` to stderr and returns false.
bool ParseLoadFlags(int argc, char** argv, std::string_view program, std::string_view usage, LoadOptions& options,
                    const std::function<bool(std::string_view flag, const char* value)>& extra = nullptr);

// Runs the load; on a setup failure (TLS) prints the reason and returns false.
bool RunLoad(const LoadOptions& options, const SequenceFactory& make_sequence, LoadReport& report);

// The one-line JSON both tools print, with the count under `count_key`
// ("requests" or "enrollments") and its rate under `rate_key`.
void PrintReport(const LoadReport& report, const LoadOptions& options, std::string_view count_key,
                 std::string_view rate_key);

}  // namespace vtpmd::bench
