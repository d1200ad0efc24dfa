// Event-log replay per log, in process (issue 5), on the real logs of
// tests/data/eventlogs: each iteration parses a log from its bytes (every event and
// its data decoded, as EventLog::Parse does for a verifier) and replays it into PCR
// values. Per log, and over all of them in turn (items = logs); beside it, the parse
// and the replay alone. tests/bench/eventlog_replay_bench.sh runs it next to
// `tpm2_eventlog`.
//
// usage: vtpmd_eventlog_replay_bench [--eventlog_dir=DIR] [benchmark flags]
//   DIR defaults to the repository's tests/data/eventlogs; every *.bin in it is used.
// Rates are per CPU second (Google Benchmark's default).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "policy/event_log.h"
#include "policy/event_log_replay.h"
#include "tests/support/test_data.h"
#include "tests/bench/take_flag.h"

namespace vtpmd {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "eventlog_replay_bench: %s\n", message.c_str());
  std::exit(2);
}

struct LogFile {
  std::string name;  // the file name without .bin
  Bytes bytes;
  std::size_t events = 0;
  std::size_t banks = 0;  // PCR banks replayed
};

std::vector<LogFile> LoadLogs(const std::filesystem::path& dir) {
  std::vector<LogFile> logs;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".bin") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) Die("cannot read " + entry.path().string());
    logs.push_back({entry.path().stem().string(),
                    Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()), 0, 0});
  }
  if (ec) Die("cannot list " + dir.string() + ": " + ec.message());
  if (logs.empty()) Die("no *.bin in " + dir.string());
  std::sort(logs.begin(), logs.end(), [](const LogFile& a, const LogFile& b) { return a.name < b.name; });
  // A log we cannot parse or replay would be timed failing early, so refuse it here.
  for (LogFile& log : logs) {
    auto parsed = policy::EventLog::Parse(log.bytes);
    if (!parsed.ok()) Die(log.name + ": " + parsed.error().message());
    auto replayed = policy::ReplayEventLog(*parsed);
    if (!replayed.ok()) Die(log.name + ": " + replayed.error().message());
    log.events = parsed->events().size();
    log.banks = replayed->size();
  }
  return logs;
}

// What a verifier does with a log it receives: parse, then replay.
bool ParseAndReplay(const LogFile& log) {
  auto parsed = policy::EventLog::Parse(log.bytes);
  if (!parsed.ok()) return false;
  auto replayed = policy::ReplayEventLog(*parsed);
  benchmark::DoNotOptimize(replayed);
  return replayed.ok();
}

void Describe(benchmark::State& state, const LogFile& log) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<benchmark::IterationCount>(log.bytes.size()));
  state.counters["events"] = static_cast<double>(log.events);
  state.counters["banks"] = static_cast<double>(log.banks);
}

void BM_ParseAndReplay(benchmark::State& state, const LogFile* log) {
  for (auto _ : state) {
    if (!ParseAndReplay(*log)) {
      state.SkipWithError("parse or replay failed");
      break;
    }
  }
  Describe(state, *log);
}

void BM_ParseAndReplayAll(benchmark::State& state, const std::vector<LogFile>* logs) {
  for (auto _ : state) {
    for (const LogFile& log : *logs) {
      if (!ParseAndReplay(log)) state.SkipWithError("parse or replay failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<benchmark::IterationCount>(logs->size()));
}

void BM_ParseOnly(benchmark::State& state, const LogFile* log) {
  for (auto _ : state) {
    auto parsed = policy::EventLog::Parse(log->bytes);
    benchmark::DoNotOptimize(parsed);
  }
  Describe(state, *log);
}

void BM_ReplayOnly(benchmark::State& state, const LogFile* log) {
  auto parsed = policy::EventLog::Parse(log->bytes);
  if (!parsed.ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  for (auto _ : state) {
    auto replayed = policy::ReplayEventLog(*parsed);
    benchmark::DoNotOptimize(replayed);
  }
  Describe(state, *log);
}

}  // namespace
}  // namespace vtpmd

int main(int argc, char** argv) {
  using namespace vtpmd;
  benchmark::Initialize(&argc, argv);
  const std::optional<std::string> dir = bench::TakeFlag(argc, argv, "eventlog_dir");
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  // Static storage: the registered benchmarks keep pointers to the logs.
  static const std::vector<LogFile> logs = LoadLogs(dir ? *dir : testing::TestDataPath("eventlogs"));
  for (const LogFile& log : logs) {
    benchmark::RegisterBenchmark(("BM_ParseAndReplay/" + log.name).c_str(), BM_ParseAndReplay, &log);
  }
  benchmark::RegisterBenchmark("BM_ParseAndReplayAll", BM_ParseAndReplayAll, &logs);
  for (const LogFile& log : logs) {
    benchmark::RegisterBenchmark(("BM_ParseOnly/" + log.name).c_str(), BM_ParseOnly, &log);
    benchmark::RegisterBenchmark(("BM_ReplayOnly/" + log.name).c_str(), BM_ReplayOnly, &log);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
