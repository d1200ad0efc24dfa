// Chained attestation load generator for tests/bench/attestation_bench.sh. Two
// phases in one run:
//
// 1. prepare (not measured): one AIK per connection in the guest's vTPM (--tcti),
//    enrolled, with --quotes-per-connection quotes made ahead and kept in memory
//    (tests/bench/guest_evidence.h);
// 2. load: connection i replays AIK i's quotes in order, each as one
//    POST /v1/attestations with deep_quote, one request in flight per connection.
//    Only an answer 201 whose status is not contraindicated and whose platform
//    submodule is affirming (the deep quote was made and checked) counts; a
//    connection whose quotes are used up stops.
//
// Loopback targets only. Prints one JSON object:
//   {"attestations":..,"errors":..,"seconds":..,"aps":..,"p50_ms":..,"p99_ms":..,"max_ms":..,
//    "connections":..,"threads":..,"quotes_per_connection":..,"exhausted_connections":..,
//    "exhausted_early":..,"prepare_seconds":..,"mean_batch":..,"largest_batch":..,
//    "loadgen_cores":..,"server_cores":..,"machine_cores":..,"aik":"ecc"|"rsa"}
// (exhausted: connections that used up their quotes, early: before the measured
// time's last tenth, which makes the rate an underestimate; batches: deep quotes
// per platform quote, from the answers' Merkle tree sizes, warm-up included;
// cores: CPU seconds per second over the measured time, of this process, of
// --server-pid and of the whole machine, -1 when unknown).
//
//   vtpmd_attest_loadgen --port N --admin-token-file F --challenger-token-file F --instance ID
//                        --tcti T --policy NAME [--quotes-per-connection 40] [--aik ecc|rsa] [--server-pid PID] [--host 127.0.0.1]
//                        [--connections 32] [--threads 1] [--duration 10] [--warmup 2]

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/file_io.h"
#include "tests/bench/guest_evidence.h"
#include "tests/bench/https_load.h"

namespace {

namespace bhttp = boost::beast::http;
using SteadyClock = std::chrono::steady_clock;
using vtpmd::Result;
using vtpmd::bench::PreparedAik;
using vtpmd::bench::Request;
using vtpmd::bench::RequestSequence;
using vtpmd::bench::Response;

constexpr std::string_view kUsage =
    "usage: vtpmd_attest_loadgen --port N --admin-token-file F --challenger-token-file F --instance ID --tcti T "
    "--policy NAME [--quotes-per-connection 40] [--aik ecc|rsa] [--server-pid PID] [--host 127.0.0.1] [--connections 32] [--threads 1] "
    "[--duration 10] [--warmup 2]\n";
constexpr std::size_t kMaxFileBytes = 64 * 1024;
constexpr unsigned kMaxQuotesPerConnection = 100'000;
constexpr int kPrintedFailures = 5;

struct Flags {
  std::string admin_token_file;
  std::string challenger_token_file;
  std::string instance_id;
  std::string tcti;
  std::string policy;
  std::string server_pid;  // for the server's CPU time; optional
  unsigned quotes_per_connection = 40;
  vtpmd::bench::AikAlgorithm aik = vtpmd::bench::AikAlgorithm::kEccP256;
};

struct Shared {
  std::string request_head;   // {"instance_id":..,"policy":..,"deep_quote":true,
  std::string authorization;  // "Bearer <challenger token>"
};

Result<std::string> ReadToken(const std::string& file) {
  VTPMD_ASSIGN_OR_RETURN(std::string token, vtpmd::ReadSmallFile(file, kMaxFileBytes));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

// The value of the first `"key":"` in `body`, or empty. The first "status" of an
// attestation answer is the overall one (the summary comes before the result).
std::string_view StringAfter(std::string_view body, std::string_view key_and_quote) {
  const std::size_t at = body.find(key_and_quote);
  if (at == std::string_view::npos) return {};
  const std::size_t begin = at + key_and_quote.size();
  const std::size_t end = body.find('"', begin);
  return end == std::string_view::npos ? std::string_view() : body.substr(begin, end - begin);
}

// A full chained attestation, read by searching the serialized answer: a parse of
// every ~10 KB answer would cost the client CPU that the server on the same two
// cores needs. The first answer of every connection is also parsed in full, and
// the two readings must agree.
bool FullChainQuick(std::string_view body) {
  const std::string_view status = StringAfter(body, "\"status\":\"");
  return (status == "affirming" || status == "warning") &&
         StringAfter(body, "\"platform\":{\"status\":\"") == "affirming";
}

std::optional<bool> FullChainParsed(const std::string& body) {
  boost::system::error_code ec;
  const boost::json::value answer = boost::json::parse(body, ec);
  if (ec || !answer.is_object()) return std::nullopt;
  const auto* status = answer.as_object().if_contains("status");
  const auto* result = answer.as_object().if_contains("result");
  if (status == nullptr || !status->is_string() || result == nullptr || !result->is_object()) return std::nullopt;
  const auto* submods = result->as_object().if_contains("submods");
  const auto* platform =
      submods != nullptr && submods->is_object() ? submods->as_object().if_contains("platform") : nullptr;
  const auto* platform_status =
      platform != nullptr && platform->is_object() ? platform->as_object().if_contains("status") : nullptr;
  if (platform_status == nullptr || !platform_status->is_string()) return std::nullopt;
  return status->as_string() != "contraindicated" && platform_status->as_string() == "affirming";
}

// What one connection saw, kept outside it: the engine destroys its sequences.
struct ConnectionTally {
  SteadyClock::time_point ran_out_at = SteadyClock::time_point::max();  // last quote sent; max(): never
  // Deep-quote batches, from each full answer's tree_size (a batch of n leaves
  // answers n times, so it adds up to one): warm-up included.
  std::uint64_t deep_quotes = 0;
  double batches = 0;
  std::uint64_t largest_batch = 0;
};

// AIK i's quotes, in the order its TPM made them, one attestation each.
class QuoteReplay final : public RequestSequence {
 public:
  QuoteReplay(const Shared& shared, const PreparedAik& aik, ConnectionTally& tally)
      : shared_(shared), aik_(aik), tally_(tally) {}

  void Next(Request& request) override {
    request.method(bhttp::verb::post);
    request.target("/v1/attestations");
    request.set(bhttp::field::content_type, "application/json");
    request.set(bhttp::field::authorization, shared_.authorization);
    const std::string& part = aik_.quote_parts[next_];
    std::string& body = request.body();
    body.clear();
    body.reserve(shared_.request_head.size() + part.size() + aik_.chain_tail.size());
    body.append(shared_.request_head).append(part).append(aik_.chain_tail);
    // Sent is used up, even if the answer is lost: the server may have recorded its clock.
    if (++next_ == aik_.quote_parts.size()) tally_.ran_out_at = SteadyClock::now();
  }

  Outcome OnResponse(const Response& response) override {
    if (response.result_int() != 201) return Fail("HTTP status", response);
    const bool full_chain = FullChainQuick(response.body());
    if (!checked_parse_) {
      checked_parse_ = true;
      const std::optional<bool> parsed = FullChainParsed(response.body());
      if (!parsed || *parsed != full_chain) return Fail("the parsed answer disagrees with the quick reading", response);
    }
    if (!full_chain) return Fail("not a full chained attestation", response);
    CountBatch(response.body());
    return Outcome::kDone;
  }

  void Restart() override {}

  bool HasMoreUnits() const override { return next_ < aik_.quote_parts.size(); }

 private:
  // The first few failures are printed: a load of silent errors measures nothing.
  // From the verdicts on, when there are any: the token before them says little.
  static Outcome Fail(const char* what, const Response& response) {
    static std::atomic<int> printed{0};
    if (printed.fetch_add(1) < kPrintedFailures) {
      const std::string& body = response.body();
      const std::size_t submods = body.find("\"submods\":");
      std::fprintf(stderr, "vtpmd_attest_loadgen: %s (HTTP %u): %.1500s\n", what, response.result_int(),
                   body.c_str() + (submods == std::string::npos ? 0 : submods));
    }
    return Outcome::kFailed;
  }

  void CountBatch(std::string_view body) {
    const std::string_view key = "\"tree_size\":";
    const std::size_t at = body.find(key);
    std::uint64_t tree_size = 0;
    if (at == std::string_view::npos) return;
    const char* begin = body.data() + at + key.size();
    if (std::from_chars(begin, body.data() + body.size(), tree_size).ec != std::errc() || tree_size == 0) return;
    ++tally_.deep_quotes;
    tally_.batches += 1.0 / static_cast<double>(tree_size);
    tally_.largest_batch = std::max(tally_.largest_batch, tree_size);
  }

  const Shared& shared_;
  const PreparedAik& aik_;
  ConnectionTally& tally_;
  std::size_t next_ = 0;
  bool checked_parse_ = false;
};

// CPU time from /proc, in seconds: a process's user + system time (fields 14 and
// 15, counted after the command name, which may hold spaces), or the whole
// machine's busy time over all cores.
std::optional<double> ProcessCpuSeconds(const std::string& pid) {
  auto stat = vtpmd::ReadSmallFile("/proc/" + pid + "/stat", kMaxFileBytes);
  if (!stat.ok()) return std::nullopt;
  const std::size_t name_end = stat->rfind(')');
  if (name_end == std::string::npos) return std::nullopt;
  std::istringstream fields(stat->substr(name_end + 2));  // from field 3, the state
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int skipped = 3; skipped <= 13; ++skipped) fields >> field;
  if (!(fields >> utime >> stime)) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<double> MachineBusySeconds() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
  if (!(stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq) || cpu != "cpu") return std::nullopt;
  return static_cast<double>(user + nice + system + irq + softirq) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Cores busy over the measured seconds, sampled by a thread that follows the load
// engine's clock (warm-up, then the measured time), so that the server's share
// comes from the same seconds as the rate.
struct CpuShares {
  double loadgen = -1, server = -1, machine = -1;  // -1: not known
};

class CpuWatch {
 public:
  CpuWatch(const vtpmd::bench::LoadOptions& options, std::string server_pid)
      : server_pid_(std::move(server_pid)),
        thread_([this, warmup = options.warmup, duration = options.duration] { Run(warmup, duration); }) {}
  CpuWatch(const CpuWatch&) = delete;
  CpuWatch& operator=(const CpuWatch&) = delete;
  ~CpuWatch() {
    if (thread_.joinable()) thread_.join();
  }

  // Waits for the measured time to end.
  CpuShares Shares() {
    if (thread_.joinable()) thread_.join();
    return shares_;
  }

 private:
  struct Sample {
    std::optional<double> loadgen, server, machine;
    SteadyClock::time_point at;
  };

  Sample Take() const {
    return {ProcessCpuSeconds("self"), server_pid_.empty() ? std::nullopt : ProcessCpuSeconds(server_pid_),
            MachineBusySeconds(), SteadyClock::now()};
  }

  void Run(unsigned warmup, unsigned duration) {
    std::this_thread::sleep_for(std::chrono::seconds(warmup));
    const Sample begin = Take();
    // Just short of the end, while the server is still under the full load.
    std::this_thread::sleep_for(std::chrono::milliseconds(duration * 1000 - 100));
    const Sample end = Take();
    const double wall = std::chrono::duration<double>(end.at - begin.at).count();
    const auto share = [wall](const std::optional<double>& a, const std::optional<double>& b) {
      return a && b ? (*b - *a) / wall : -1.0;
    };
    shares_ = {share(begin.loadgen, end.loadgen), share(begin.server, end.server), share(begin.machine, end.machine)};
  }

  const std::string server_pid_;
  CpuShares shares_;
  std::thread thread_;  // last: starts once the members it uses exist
};

bool ParseQuotesPerConnection(const char* text, unsigned& out) {
  const std::string_view view(text);
  const auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), out);
  return ec == std::errc() && end == view.data() + view.size() && out >= 1 && out <= kMaxQuotesPerConnection;
}

bool ParseAikAlgorithm(std::string_view text, vtpmd::bench::AikAlgorithm& out) {
  if (text == "ecc") out = vtpmd::bench::AikAlgorithm::kEccP256;
  if (text == "rsa") out = vtpmd::bench::AikAlgorithm::kRsa2048;
  return text == "ecc" || text == "rsa";
}

}  // namespace

int main(int argc, char** argv) {
  vtpmd::bench::LoadOptions options;
  Flags flags;
  const bool parsed = vtpmd::bench::ParseLoadFlags(
      argc, argv, "vtpmd_attest_loadgen", kUsage, options, [&](std::string_view flag, const char* value) {
        if (flag == "--quotes-per-connection") return ParseQuotesPerConnection(value, flags.quotes_per_connection);
        if (flag == "--aik") return ParseAikAlgorithm(value, flags.aik);
        std::string* target = flag == "--admin-token-file"        ? &flags.admin_token_file
                              : flag == "--challenger-token-file" ? &flags.challenger_token_file
                              : flag == "--instance"              ? &flags.instance_id
                              : flag == "--tcti"                  ? &flags.tcti
                              : flag == "--policy"                ? &flags.policy
                              : flag == "--server-pid"            ? &flags.server_pid
                                                                  : nullptr;
        if (target != nullptr) *target = value;
        return target != nullptr;
      });
  if (!parsed) return 2;
  if (flags.admin_token_file.empty() || flags.challenger_token_file.empty() || flags.instance_id.empty() ||
      flags.tcti.empty() || flags.policy.empty()) {
    std::fprintf(stderr,
                 "vtpmd_attest_loadgen: --admin-token-file, --challenger-token-file, --instance, --tcti and --policy "
                 "are required\n%s",
                 kUsage.data());
    return 2;
  }
  auto challenger_token = ReadToken(flags.challenger_token_file);
  if (!challenger_token.ok()) {
    std::fprintf(stderr, "vtpmd_attest_loadgen: %s\n", challenger_token.error().message().c_str());
    return 2;
  }

  const auto prepare_started = SteadyClock::now();
  auto admin_token = ReadToken(flags.admin_token_file);
  if (!admin_token.ok()) {
    std::fprintf(stderr, "vtpmd_attest_loadgen: %s\n", admin_token.error().message().c_str());
    return 2;
  }
  const vtpmd::bench::EvidencePlan plan{.host = options.host,
                                        .port = options.port,
                                        .admin_token = *admin_token,
                                        .instance_id = flags.instance_id,
                                        .tcti = flags.tcti,
                                        .aiks = options.connections,
                                        .quotes_per_aik = flags.quotes_per_connection,
                                        .aik_algorithm = flags.aik};
  auto prepared = vtpmd::bench::PrepareGuestEvidence(plan);
  if (!prepared.ok()) {
    std::fprintf(stderr, "vtpmd_attest_loadgen: preparing: %s\n", prepared.error().message().c_str());
    return 1;
  }
  const double prepare_seconds = std::chrono::duration<double>(SteadyClock::now() - prepare_started).count();

  const Shared shared{"{\"instance_id\":" + vtpmd::bench::JsonString(flags.instance_id) +
                          ",\"policy\":" + vtpmd::bench::JsonString(flags.policy) + ",\"deep_quote\":true,",
                      "Bearer " + *challenger_token};
  std::vector<ConnectionTally> tallies(options.connections);
  unsigned next_connection = 0;
  auto make_sequence = [&]() -> std::unique_ptr<RequestSequence> {
    const unsigned i = next_connection++;
    return std::make_unique<QuoteReplay>(shared, (*prepared)[i], tallies[i]);
  };
  std::fprintf(stderr, "vtpmd_attest_loadgen: load started\n");
  CpuWatch cpu_watch(options, flags.server_pid);
  vtpmd::bench::LoadReport report;
  if (!vtpmd::bench::RunLoad(options, make_sequence, report)) return 2;
  const CpuShares cpu = cpu_watch.Shares();
  const auto ended = SteadyClock::now();

  // A connection that ran out of quotes before the end lowered the rate measured;
  // running out in the last tenth of the measured time barely did.
  const auto last_tenth =
      ended - std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(report.seconds / 10));
  const auto ran_out_before = [&](SteadyClock::time_point limit) {
    return static_cast<unsigned>(std::count_if(tallies.begin(), tallies.end(),
                                               [limit](const ConnectionTally& t) { return t.ran_out_at < limit; }));
  };
  ConnectionTally total;
  for (const ConnectionTally& tally : tallies) {
    total.deep_quotes += tally.deep_quotes;
    total.batches += tally.batches;
    total.largest_batch = std::max(total.largest_batch, tally.largest_batch);
  }
  const unsigned exhausted = ran_out_before(ended);
  const unsigned exhausted_early = ran_out_before(last_tenth);
  if (exhausted_early > 0) {
    std::fprintf(stderr,
                 "vtpmd_attest_loadgen: warning: %u of %u connections ran out of quotes before the last tenth of the "
                 "measured time; raise --quotes-per-connection\n",
                 exhausted_early, options.connections);
  }
  std::printf(
      "{\"attestations\":%llu,\"errors\":%llu,\"seconds\":%.3f,\"aps\":%.1f,\"p50_ms\":%.3f,"
      "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"connections\":%u,\"threads\":%u,\"quotes_per_connection\":%u,"
      "\"exhausted_connections\":%u,\"exhausted_early\":%u,\"prepare_seconds\":%.1f,\"mean_batch\":%.1f,"
      "\"largest_batch\":%llu,\"loadgen_cores\":%.3f,\"server_cores\":%.3f,\"machine_cores\":%.3f,\"aik\":\"%s\"}\n",
      static_cast<unsigned long long>(report.completed), static_cast<unsigned long long>(report.errors), report.seconds,
      static_cast<double>(report.completed) / report.seconds, report.p50_ms, report.p99_ms, report.max_ms,
      options.connections, options.threads, flags.quotes_per_connection, exhausted, exhausted_early, prepare_seconds,
      total.batches > 0 ? static_cast<double>(total.deep_quotes) / total.batches : 0.0,
      static_cast<unsigned long long>(total.largest_batch), cpu.loadgen, cpu.server, cpu.machine,
      flags.aik == vtpmd::bench::AikAlgorithm::kRsa2048 ? "rsa" : "ecc");
  return 0;
}
