// HTTPS/1.1 load generator for tests/bench/http_bench.sh: N keep-alive TLS
// connections spread over T threads, each sending GET <path> back to back for a
// fixed time after a warm-up. Loopback targets only: this is a benchmark tool,
// not a way to load someone else's server. Prints one JSON object:
//   {"requests":..,"errors":..,"seconds":..,"rps":..,"p50_ms":..,"p99_ms":..,"max_ms":..}
//
//   vtpmd_loadgen --port 8443 [--host 127.0.0.1] [--connections 32] [--threads 1]
//                 [--duration 10] [--warmup 2] [--path /healthz]

#include <memory>
#include <string>

#include "tests/bench/https_load.h"

namespace {

using vtpmd::bench::Request;
using vtpmd::bench::RequestSequence;
using vtpmd::bench::Response;

constexpr std::string_view kUsage =
    "usage: vtpmd_loadgen --port N [--host 127.0.0.1] [--connections 32] "
    "[--threads 1] [--duration 10] [--warmup 2] [--path /healthz]\n";

// Every request a unit of its own; anything but a 200 is an error.
class RepeatedGet final : public RequestSequence {
 public:
  explicit RepeatedGet(std::string path) : path_(std::move(path)) {}

  void Next(Request& request) override {
    if (request.target() == path_) return;
    request.method(boost::beast::http::verb::get);
    request.target(path_);
  }
  Outcome OnResponse(const Response& response) override {
    return response.result_int() == 200 ? Outcome::kDone : Outcome::kFailed;
  }
  void Restart() override {}

 private:
  const std::string path_;
};

}  // namespace

int main(int argc, char** argv) {
  vtpmd::bench::LoadOptions options;
  std::string path = "/healthz";
  const bool parsed = vtpmd::bench::ParseLoadFlags(argc, argv, "vtpmd_loadgen", kUsage, options,
                                                   [&path](std::string_view flag, const char* value) {
                                                     if (flag != "--path") return false;
                                                     path = value;
                                                     return true;
                                                   });
  if (!parsed) return 2;
  vtpmd::bench::LoadReport report;
  if (!vtpmd::bench::RunLoad(options, [&path] { return std::make_unique<RepeatedGet>(path); }, report)) return 2;
  vtpmd::bench::PrintReport(report, options, "requests", "rps");
  return 0;
}
