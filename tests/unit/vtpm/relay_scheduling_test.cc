// How the relay orders requests: the lock, vtpmd's own commands between the
// guest's, and instances that do not wait for each other.

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

#include "tests/unit/vtpm/relay_test_support.h"
#include "vtpm/relay/control_protocol.h"

namespace vtpmd::vtpm {
namespace {

using testing::Client;
using testing::Hub;
using testing::RelayedTpm;

// Spins until the relay reports the expected state; the state is reached by the
// relay's own progress, so no timing is assumed.
void AwaitStats(TpmRelay& relay, const std::function<bool(const RelayStats&)>& reached) {
  while (!reached(relay.Stats())) std::this_thread::yield();
}

bool HasData(int fd) {
  pollfd pfd{.fd = fd, .events = POLLIN, .revents = 0};
  return ::poll(&pfd, 1, 0) == 1;
}

// Freezes the swtpm child: a TPM command that takes as long as the test wants.
class Frozen {
 public:
  explicit Frozen(SwtpmProcess& swtpm) : pid_(swtpm.pid()) { EXPECT_EQ(::kill(pid_, SIGSTOP), 0); }
  ~Frozen() { Thaw(); }
  void Thaw() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
    pid_ = -1;
  }

 private:
  pid_t pid_;
};

TEST(RelaySchedulingTest, LockedCommandsAreAnsweredOnlyAfterUnlock) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  Client data = Client::Connect(tpm.socket_path());
  Client control = Client::Connect(tpm.control_path());
  tpm.relay().Lock();
  ASSERT_TRUE(data.Send(testing::GetRandomCommand(8)));
  ASSERT_TRUE(control.Send(testing::ControlRequest(swtpm_ctrl::kGetConfig)));
  AwaitStats(tpm.relay(), [](const RelayStats& s) { return s.held_requests == 2; });

  // vtpmd's own commands still run while the guest's are held.
  auto own = tpm.relay().Transmit(testing::GetRandomCommand(4));
  ASSERT_TRUE(own.ok()) << own.error().message();
  EXPECT_EQ(testing::RandomBytes(*own).size(), 4U);
  EXPECT_FALSE(HasData(data.fd()));
  EXPECT_FALSE(HasData(control.fd()));

  std::atomic<int> sequence{0};
  int unlocked_at = -1;
  int answered_at = -1;
  Bytes response;
  std::thread guest([&] {
    response = data.ReadTpmResponse();
    answered_at = sequence++;
  });
  unlocked_at = sequence++;
  tpm.relay().Unlock();
  guest.join();
  EXPECT_LT(unlocked_at, answered_at);
  EXPECT_EQ(testing::RandomBytes(response).size(), 8U);
  EXPECT_EQ(control.ReadExactly(8).size(), 8U);
  EXPECT_EQ(tpm.relay().Stats().held_requests, 0U);
}

TEST(RelaySchedulingTest, LockWaitsForTheGuestCommandInFlight) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  Client data = Client::Connect(tpm.socket_path());
  Frozen frozen(tpm.swtpm());
  ASSERT_TRUE(data.Send(testing::GetRandomCommand(8)));
  AwaitStats(tpm.relay(), [](const RelayStats& s) { return s.guest_commands == 1 && s.held_requests == 0; });

  std::atomic<bool> locked{false};
  std::thread locker([&] {
    tpm.relay().Lock();
    locked = true;
  });
  // swtpm is frozen with the guest's command, so Lock() cannot have returned.
  EXPECT_FALSE(locked);
  frozen.Thaw();
  locker.join();
  // By the time Lock() returned, the guest's answer was already on its way.
  EXPECT_TRUE(HasData(data.fd()));
  EXPECT_EQ(testing::RandomBytes(data.ReadTpmResponse()).size(), 8U);
  tpm.relay().Unlock();
}

TEST(RelaySchedulingTest, TransmitInterleavesWithGuestCommands) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  constexpr int kRounds = 150;
  std::atomic<int> guest_ok{0};
  std::thread guest([&] {
    Client data = Client::Connect(tpm.socket_path());
    for (int i = 0; i < kRounds; ++i) {
      if (testing::RandomBytes(data.Exchange(testing::GetRandomCommand(8))).size() == 8) ++guest_ok;
    }
  });
  int host_ok = 0;
  for (int i = 0; i < kRounds; ++i) {
    auto response = tpm.relay().Transmit(testing::GetRandomCommand(24));
    // A response of the other side's size would mean crossed answers.
    if (response.ok() && testing::RandomBytes(*response).size() == 24) ++host_ok;
  }
  guest.join();
  EXPECT_EQ(guest_ok, kRounds);
  EXPECT_EQ(host_ok, kRounds);
  const RelayStats stats = tpm.relay().Stats();
  EXPECT_EQ(stats.guest_commands, static_cast<std::uint64_t>(kRounds));
  EXPECT_EQ(stats.host_commands, static_cast<std::uint64_t>(kRounds));
}

TEST(RelaySchedulingTest, GuestPolicySessionSurvivesVtpmdCommands) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  const std::string t = " -T " + tpm.tcti();
  const std::string session = (tpm.dir() / "session.ctx").string();
  const std::string policy = (tpm.dir() / "policy.bin").string();
  std::string out;
  ASSERT_EQ(testing::RunCommand("tpm2_startauthsession --policy-session -S " + session + t, &out), 0) << out;
  auto own = tpm.relay().Transmit(testing::PcrExtendSha256Command(16, Bytes(32, 0x5A)));
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(testing::ResponseCode(*own), 0U);
  ASSERT_EQ(testing::RunCommand("tpm2_policypcr -S " + session + " -l sha256:16 -L " + policy + t, &out), 0) << out;
  own = tpm.relay().Transmit(testing::GetRandomCommand(16));
  ASSERT_TRUE(own.ok());
  ASSERT_EQ(testing::RunCommand("tpm2_flushcontext " + session + t, &out), 0) << out;

  // The guest's policy saw vtpmd's extend: a trial session over the same PCR agrees.
  const std::string trial = (tpm.dir() / "trial.ctx").string();
  const std::string expected = (tpm.dir() / "expected.bin").string();
  ASSERT_EQ(testing::RunCommand("tpm2_startauthsession -S " + trial + t, &out), 0) << out;
  ASSERT_EQ(testing::RunCommand("tpm2_policypcr -S " + trial + " -l sha256:16 -L " + expected + t, &out), 0) << out;
  ASSERT_EQ(testing::RunCommand("tpm2_flushcontext " + trial + t, &out), 0) << out;
  EXPECT_EQ(testing::ReadFileBytes(policy), testing::ReadFileBytes(expected));
  EXPECT_EQ(testing::ReadFileBytes(policy).size(), 32U);
}

TEST(RelaySchedulingTest, SlowInstanceDoesNotStallOthers) {
  auto hub = Hub();
  RelayedTpm slow(hub);
  RelayedTpm fast(hub);
  ASSERT_TRUE(slow.ready() && fast.ready());
  Client slow_guest = Client::Connect(slow.socket_path());
  Frozen frozen(slow.swtpm());
  ASSERT_TRUE(slow_guest.Send(testing::GetRandomCommand(8)));
  AwaitStats(slow.relay(), [](const RelayStats& s) { return s.guest_commands == 1 && s.held_requests == 0; });
  std::thread slow_host([&] { EXPECT_TRUE(slow.relay().Transmit(testing::GetRandomCommand(8)).ok()); });

  Client fast_guest = Client::Connect(fast.socket_path());
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(testing::RandomBytes(fast_guest.Exchange(testing::GetRandomCommand(16))).size(), 16U);
    auto own = fast.relay().Transmit(testing::GetRandomCommand(16));
    EXPECT_TRUE(own.ok()) << own.error().message();  // no ASSERT: slow_host must be joined
  }
  // All of that ran while the slow instance's swtpm was still frozen.
  EXPECT_FALSE(HasData(slow_guest.fd()));
  frozen.Thaw();
  EXPECT_EQ(testing::RandomBytes(slow_guest.ReadTpmResponse()).size(), 8U);
  slow_host.join();
}

}  // namespace
}  // namespace vtpmd::vtpm
