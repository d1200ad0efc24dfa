// Relay overhead per TPM command: the same swtpm build answering GetRandom and
// PCR_Extend directly on its own data socket, and through vtpmd's relay (the
// path every guest command takes), with the hub's busy-poll window at its
// default and switched off. Both over one persistent connection (QEMU's way) and
// one connection per command (tpm2-tss's swtpm TCTI's way).

#include <benchmark/benchmark.h>

#include <memory>

#include "tests/unit/vtpm/relay_test_support.h"
#include "vtpm/relay/relay_hub.h"
#include "vtpm/swtpm_process.h"

namespace vtpmd::vtpm {
namespace {

using testing::Client;

struct Setup {
  std::shared_ptr<RelayHub> hub;
  std::shared_ptr<RelayHub> sleeping_hub;  // busy-poll off
  std::unique_ptr<testing::RelayedTpm> relayed;
  std::unique_ptr<testing::RelayedTpm> relayed_sleeping;
  std::unique_ptr<testing::TempDir> direct_dir;
  std::unique_ptr<SwtpmProcess> direct;
};

Setup& Tpms() {
  static Setup* setup = [] {
    auto* s = new Setup;
    s->hub = RelayHub::Start().value();
    s->sleeping_hub = RelayHub::Start(std::chrono::microseconds(0)).value();
    s->relayed = std::make_unique<testing::RelayedTpm>(s->hub);
    s->relayed_sleeping = std::make_unique<testing::RelayedTpm>(s->sleeping_hub);
    s->direct_dir = std::make_unique<testing::TempDir>();
    SwtpmOptions options;
    options.state_dir = s->direct_dir->path() / "state";
    s->direct = SwtpmProcess::Start(options).value();
    return s;
  }();
  return *setup;
}

const std::filesystem::path& DirectSocket() { return Tpms().direct->socket_path(); }
std::filesystem::path RelaySocket() { return Tpms().relayed->socket_path(); }
std::filesystem::path SleepingRelaySocket() { return Tpms().relayed_sleeping->socket_path(); }

Bytes ExtendCommand() { return testing::PcrExtendSha256Command(16, Bytes(32, 0x5a)); }

void Persistent(benchmark::State& state, const std::filesystem::path& socket, const Bytes& command) {
  Client client = Client::Connect(socket);
  for (auto _ : state) {
    Bytes response = client.Exchange(command);
    if (testing::ResponseCode(response) != 0) state.SkipWithError("TPM command failed");
    benchmark::DoNotOptimize(response);
  }
}

void PerCommand(benchmark::State& state, const std::filesystem::path& socket, const Bytes& command) {
  for (auto _ : state) {
    Client client = Client::Connect(socket);
    Bytes response = client.Exchange(command);
    if (testing::ResponseCode(response) != 0) state.SkipWithError("TPM command failed");
    benchmark::DoNotOptimize(response);
  }
}

void BM_GetRandom_Direct(benchmark::State& s) { Persistent(s, DirectSocket(), testing::GetRandomCommand(16)); }
void BM_GetRandom_Relay(benchmark::State& s) { Persistent(s, RelaySocket(), testing::GetRandomCommand(16)); }
void BM_GetRandom_RelayNoBusyPoll(benchmark::State& s) {
  Persistent(s, SleepingRelaySocket(), testing::GetRandomCommand(16));
}
void BM_PcrExtend_Direct(benchmark::State& s) { Persistent(s, DirectSocket(), ExtendCommand()); }
void BM_PcrExtend_Relay(benchmark::State& s) { Persistent(s, RelaySocket(), ExtendCommand()); }
void BM_PcrExtend_RelayNoBusyPoll(benchmark::State& s) { Persistent(s, SleepingRelaySocket(), ExtendCommand()); }
void BM_GetRandomPerConnection_Direct(benchmark::State& s) {
  PerCommand(s, DirectSocket(), testing::GetRandomCommand(16));
}
void BM_GetRandomPerConnection_Relay(benchmark::State& s) {
  PerCommand(s, RelaySocket(), testing::GetRandomCommand(16));
}
void BM_GetRandomPerConnection_RelayNoBusyPoll(benchmark::State& s) {
  PerCommand(s, SleepingRelaySocket(), testing::GetRandomCommand(16));
}

BENCHMARK(BM_GetRandom_Direct)->UseRealTime();
BENCHMARK(BM_GetRandom_Relay)->UseRealTime();
BENCHMARK(BM_GetRandom_RelayNoBusyPoll)->UseRealTime();
BENCHMARK(BM_PcrExtend_Direct)->UseRealTime();
BENCHMARK(BM_PcrExtend_Relay)->UseRealTime();
BENCHMARK(BM_PcrExtend_RelayNoBusyPoll)->UseRealTime();
BENCHMARK(BM_GetRandomPerConnection_Direct)->UseRealTime();
BENCHMARK(BM_GetRandomPerConnection_Relay)->UseRealTime();
BENCHMARK(BM_GetRandomPerConnection_RelayNoBusyPoll)->UseRealTime();

}  // namespace
}  // namespace vtpmd::vtpm

BENCHMARK_MAIN();
