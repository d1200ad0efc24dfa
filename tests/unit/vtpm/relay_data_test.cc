// The guest's TPM data path through the relay, against a real swtpm.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <future>
#include <thread>

#include "tests/unit/vtpm/relay_test_support.h"
#include "vtpm/relay/tpm_frame.h"

namespace vtpmd::vtpm {
namespace {

using testing::Client;
using testing::Hub;
using testing::RelayedTpm;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

Bytes Digest(std::uint8_t fill) {
  return Bytes(32, fill);
}

// A GetRandom whose tag is no TPM 2.0 tag (0x1201).
Bytes BadTagGetRandom(std::uint16_t count) {
  Bytes command = testing::GetRandomCommand(count);
  command[0] = 0x12;
  return command;
}

// A GetRandom whose size field says 0x0001000c: 64 KiB + 12, above any TPM's limit.
Bytes OversizedGetRandom() {
  Bytes command = testing::GetRandomCommand(8);
  command[2] = 0x00;
  command[3] = 0x01;
  return command;
}

// A GetRandom through a fresh connection: the relay is still serving.
void ExpectServing(RelayedTpm& tpm) {
  Client client = Client::Connect(tpm.socket_path());
  EXPECT_EQ(testing::RandomBytes(client.Exchange(testing::GetRandomCommand(16))).size(), 16U);
}

TEST(RelayDataTest, SocketsAreOwnerOnly) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  for (const auto& path : {tpm.socket_path(), tpm.control_path()}) {
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0) << path;
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600U) << path;
  }
}

TEST(RelayDataTest, StoppingTheRelayRemovesItsSockets) {
  auto hub = Hub();
  RelayedTpm tpm(hub);
  ASSERT_TRUE(tpm.ready());
  RelayOptions options;
  options.socket_path = tpm.dir() / "vm" / "other.sock";
  options.backend_socket = tpm.dir() / "swtpm" / "swtpm.sock";
  {
    auto relay = TpmRelay::Start(hub, options);
    ASSERT_TRUE(relay.ok()) << relay.error().message();
    EXPECT_TRUE(std::filesystem::exists(options.socket_path));
  }
  EXPECT_FALSE(std::filesystem::exists(options.socket_path));
  EXPECT_FALSE(std::filesystem::exists(options.socket_path.string() + ".ctrl"));
}

TEST(RelayDataTest, SecondRelayOnALiveSocketIsRefused) {
  auto hub = Hub();
  RelayedTpm tpm(hub);
  ASSERT_TRUE(tpm.ready());
  RelayOptions options;
  options.socket_path = tpm.socket_path();
  options.backend_socket = tpm.dir() / "swtpm" / "swtpm.sock";
  auto second = TpmRelay::Start(hub, options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), ErrorCode::kFailedPrecondition);
  ExpectServing(tpm);
}

TEST(RelayDataTest, Tpm2ToolsWorkThroughTheRelay) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  const std::string t = " -T " + tpm.tcti();
  std::string out;
  ASSERT_EQ(testing::RunCommand("tpm2_startup -c" + t, &out), 0) << out;
  ASSERT_EQ(testing::RunCommand("tpm2_getrandom --hex 16" + t, &out), 0) << out;
  EXPECT_EQ(out.size(), 32U) << out;

  const Bytes digest = Digest(0xAB);
  ASSERT_EQ(testing::RunCommand("tpm2_pcrextend 16:sha256=" + HexEncode(digest) + t, &out), 0) << out;
  ASSERT_EQ(testing::RunCommand("tpm2_pcrread sha256:16" + t, &out), 0) << out;
  const Bytes expected = testing::ExtendedFromZero(digest);
  EXPECT_NE(Lower(out).find(HexEncode(expected)), std::string::npos) << out;

  // vtpmd's own view through Transmit agrees.
  auto read = tpm.relay().Transmit(testing::PcrReadSha256Command(16));
  ASSERT_TRUE(read.ok()) << read.error().message();
  EXPECT_EQ(testing::PcrDigest(*read), expected);
  EXPECT_GE(tpm.relay().Stats().guest_commands, 4U);
}

TEST(RelayDataTest, TwoInstancesKeepSeparatePcrs) {
  auto hub = Hub();
  RelayedTpm a(hub);
  RelayedTpm b(hub);
  ASSERT_TRUE(a.ready() && b.ready());
  Client client_a = Client::Connect(a.socket_path());
  EXPECT_EQ(testing::ResponseCode(client_a.Exchange(testing::PcrExtendSha256Command(16, Digest(0x11)))), 0U);
  Client client_b = Client::Connect(b.socket_path());
  EXPECT_EQ(testing::ResponseCode(client_b.Exchange(testing::PcrExtendSha256Command(16, Digest(0x22)))), 0U);

  EXPECT_EQ(testing::PcrDigest(client_a.Exchange(testing::PcrReadSha256Command(16))),
            testing::ExtendedFromZero(Digest(0x11)));
  EXPECT_EQ(testing::PcrDigest(client_b.Exchange(testing::PcrReadSha256Command(16))),
            testing::ExtendedFromZero(Digest(0x22)));
  EXPECT_EQ(testing::PcrDigest(client_a.Exchange(testing::PcrReadSha256Command(15))), Bytes(32, 0));
}

TEST(RelayDataTest, BadTagIsAnsweredAndTheConnectionKeepsWorking) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  Client client = Client::Connect(tpm.socket_path());
  EXPECT_EQ(client.Exchange(BadTagGetRandom(8)), TpmErrorResponse(0x1201, kTpmRcBadTag));
  // QEMU's version probe: a TPM 1.2 GetTicks gets a TPM 1.2 error back.
  const Bytes get_ticks = {0x00, 0xC1, 0, 0, 0, 10, 0, 0, 0, 0xF1};
  EXPECT_EQ(client.Exchange(get_ticks), TpmErrorResponse(0x00C1, kTpmRcBadTag));
  EXPECT_EQ(testing::RandomBytes(client.Exchange(testing::GetRandomCommand(8))).size(), 8U);
  EXPECT_EQ(tpm.relay().Stats().malformed_commands, 2U);
}

TEST(RelayDataTest, OversizedCommandIsAnsweredThenClosed) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  Client client = Client::Connect(tpm.socket_path());
  ASSERT_TRUE(client.Send(OversizedGetRandom()));
  EXPECT_EQ(client.ReadTpmResponse(), TpmErrorResponse(0x8001, kTpmRcCommandSize));
  EXPECT_TRUE(client.ClosedByPeer());
  ExpectServing(tpm);
}

TEST(RelayDataTest, CommandAboveTheConfiguredLimitIsRefused) {
  RelayedTpm tpm(Hub(), std::nullopt, /*max_command_size=*/64);
  ASSERT_TRUE(tpm.ready());
  Client client = Client::Connect(tpm.socket_path());
  EXPECT_EQ(testing::ResponseCode(client.Exchange(testing::PcrExtendSha256Command(16, Digest(1)))),
            kTpmRcCommandSize);  // 65 bytes
  EXPECT_TRUE(client.ClosedByPeer());
  ExpectServing(tpm);
  EXPECT_EQ(tpm.relay().Stats().guest_commands, 1U);  // only ExpectServing's reached the TPM
}

TEST(RelayDataTest, UndersizedCommandIsAnsweredThenClosed) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  Client client = Client::Connect(tpm.socket_path());
  const Bytes tiny = {0x80, 0x01, 0, 0, 0, 4, 0, 0, 0x01, 0x7B};
  EXPECT_EQ(testing::ResponseCode(client.Exchange(tiny)), kTpmRcCommandSize);
  EXPECT_TRUE(client.ClosedByPeer());
  ExpectServing(tpm);
}

TEST(RelayDataTest, TruncatedCommandIsDroppedWithItsConnection) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  {
    Client client = Client::Connect(tpm.socket_path());
    const Bytes extend = testing::PcrExtendSha256Command(16, Digest(0x33));
    ASSERT_TRUE(client.Send(ByteView(extend).first(30)));
  }
  ExpectServing(tpm);
  auto read = tpm.relay().Transmit(testing::PcrReadSha256Command(16));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(testing::PcrDigest(*read), Bytes(32, 0));  // the half-sent extend never ran
}

TEST(RelayDataTest, GarbageNeverReachesTheTpm) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  Bytes garbage(300);
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<std::uint8_t>(i * 37 + 11);
  Client client = Client::Connect(tpm.socket_path());
  ASSERT_TRUE(client.Send(garbage));
  // "\x0b\x30..." is neither a TPM 2.0 tag nor a sane size: answered, then closed.
  EXPECT_EQ(testing::ResponseCode(client.ReadTpmResponse()), kTpmRcCommandSize);
  EXPECT_TRUE(client.ClosedByPeer());
  ExpectServing(tpm);
  EXPECT_EQ(tpm.relay().Stats().guest_commands, 1U);
}

TEST(RelayDataTest, CommandSplitAcrossSendsIsAssembled) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  Client client = Client::Connect(tpm.socket_path());
  const Bytes extend = testing::PcrExtendSha256Command(16, Digest(0x44));
  // Mid-header, then mid-body, then the rest: each piece a read of its own.
  std::size_t sent = 0;
  for (const std::size_t end : {std::size_t{4}, std::size_t{20}, extend.size()}) {
    ASSERT_TRUE(client.Send(ByteView(extend).subspan(sent, end - sent)));
    sent = end;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(testing::ResponseCode(client.ReadTpmResponse()), 0U);
  EXPECT_EQ(testing::PcrDigest(client.Exchange(testing::PcrReadSha256Command(16))),
            testing::ExtendedFromZero(Digest(0x44)));
  EXPECT_EQ(tpm.relay().Stats().guest_commands, 2U);
}

// A guest that sends ahead of its answers: the relay reads past the first command
// in one go, and still hands the TPM one command at a time, in order.
TEST(RelayDataTest, CommandsSentAheadAreAnsweredInOrder) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  Client client = Client::Connect(tpm.socket_path());
  Bytes batch;
  for (const Bytes& command : {testing::PcrExtendSha256Command(16, Digest(0x55)), testing::GetRandomCommand(8),
                               BadTagGetRandom(4), testing::GetRandomCommand(16), testing::PcrReadSha256Command(16)}) {
    batch.insert(batch.end(), command.begin(), command.end());
  }
  ASSERT_TRUE(client.Send(batch));
  EXPECT_EQ(testing::ResponseCode(client.ReadTpmResponse()), 0U);
  EXPECT_EQ(testing::RandomBytes(client.ReadTpmResponse()).size(), 8U);
  EXPECT_EQ(client.ReadTpmResponse(), TpmErrorResponse(0x1201, kTpmRcBadTag));
  EXPECT_EQ(testing::RandomBytes(client.ReadTpmResponse()).size(), 16U);
  EXPECT_EQ(testing::PcrDigest(client.ReadTpmResponse()), testing::ExtendedFromZero(Digest(0x55)));
  const RelayStats stats = tpm.relay().Stats();
  EXPECT_EQ(stats.guest_commands, 4U);
  EXPECT_EQ(stats.malformed_commands, 1U);
  // An oversized command behind a good one: the good one is answered, then the
  // relay refuses the other and hangs up.
  const Bytes huge = OversizedGetRandom();
  Bytes good_then_huge = testing::GetRandomCommand(8);
  good_then_huge.insert(good_then_huge.end(), huge.begin(), huge.end());
  ASSERT_TRUE(client.Send(good_then_huge));
  EXPECT_EQ(testing::RandomBytes(client.ReadTpmResponse()).size(), 8U);
  EXPECT_EQ(client.ReadTpmResponse(), TpmErrorResponse(0x8001, kTpmRcCommandSize));
  EXPECT_TRUE(client.ClosedByPeer());
  ExpectServing(tpm);
}

TEST(RelayDataTest, SecondDataConnectionIsRefusedWhileTheFirstIsOpen) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  Client first = Client::Connect(tpm.socket_path());
  EXPECT_EQ(testing::RandomBytes(first.Exchange(testing::GetRandomCommand(8))).size(), 8U);
  Client second = Client::Connect(tpm.socket_path());
  EXPECT_TRUE(second.ClosedByPeer());
  EXPECT_EQ(testing::RandomBytes(first.Exchange(testing::GetRandomCommand(8))).size(), 8U);
  EXPECT_EQ(tpm.relay().Stats().refused_connections, 1U);
}

TEST(RelayDataTest, PeerWithAnotherUidIsRefused) {
  const uid_t someone_else = ::geteuid() + 1;
  RelayedTpm tpm(Hub(), someone_else);
  ASSERT_TRUE(tpm.ready());
  // The relay hangs up at once, so the send itself may already fail.
  Client data = Client::Connect(tpm.socket_path());
  (void)data.Send(testing::GetRandomCommand(8));
  EXPECT_TRUE(data.ClosedByPeer());
  Client control = Client::Connect(tpm.control_path());
  (void)control.Send(testing::ControlRequest(0x01));
  EXPECT_TRUE(control.ClosedByPeer());
  const RelayStats stats = tpm.relay().Stats();
  EXPECT_EQ(stats.refused_connections, 2U);
  EXPECT_EQ(stats.guest_commands, 0U);
}

TEST(RelayDataTest, BoundUidIsServedAndOthersAreNot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another uid";
  RelayedTpm tpm(Hub(), /*allowed_uid=*/0);
  ASSERT_TRUE(tpm.ready());
  ExpectServing(tpm);
  // A process of another user gets nowhere: the 0700 directory and the 0600
  // socket keep it out before the relay even sees its credentials.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    std::string out;
    const int rc = testing::RunCommand("tpm2_getrandom 8 -T " + tpm.tcti(), &out);
    ::_exit(rc == 0 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_EQ(tpm.relay().Stats().guest_commands, 1U);
}

TEST(RelayDataTest, RelayReconnectsAfterSwtpmRestarts) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  Client data = Client::Connect(tpm.socket_path());
  Client control = Client::Connect(tpm.control_path());
  EXPECT_EQ(testing::RandomBytes(data.Exchange(testing::GetRandomCommand(8))).size(), 8U);

  tpm.StopSwtpm();
  // No TPM behind the relay: the guest gets errors, and keeps its connections.
  EXPECT_EQ(testing::ResponseCode(data.Exchange(testing::GetRandomCommand(8))), kTpmRcFailure);
  ASSERT_TRUE(control.Send(testing::ControlRequest(0x0f)));   // CMD_GET_CONFIG
  EXPECT_EQ(control.ReadExactly(4), (Bytes{0, 0, 0, 0x1f}));  // TPM_IOERROR
  auto own = tpm.relay().Transmit(testing::GetRandomCommand(8));
  ASSERT_FALSE(own.ok());
  EXPECT_EQ(own.error().code(), ErrorCode::kUnavailable);

  tpm.StartSwtpm();
  EXPECT_EQ(testing::RandomBytes(data.Exchange(testing::GetRandomCommand(8))).size(), 8U);
  ASSERT_TRUE(control.Send(testing::ControlRequest(0x0f)));
  EXPECT_EQ(control.ReadExactly(8).size(), 8U);
  own = tpm.relay().Transmit(testing::GetRandomCommand(8));
  ASSERT_TRUE(own.ok()) << own.error().message();
  EXPECT_EQ(testing::RandomBytes(*own).size(), 8U);
}

TEST(RelayDataTest, KeptSwtpmConnectionThatDiedIsReplacedTransparently) {
  auto hub = Hub();
  RelayedTpm tpm(hub);
  ASSERT_TRUE(tpm.ready());
  Client data = Client::Connect(tpm.socket_path());
  EXPECT_EQ(testing::RandomBytes(data.Exchange(testing::GetRandomCommand(8))).size(), 8U);

  // Hold the hub thread so that the guest's next command is read before the
  // relay learns that swtpm restarted: the command then starts on the kept,
  // dead connection, which is the case to survive.
  std::promise<void> entered;
  std::promise<void> release;
  hub->Post([&entered, held = release.get_future().share()] {
    entered.set_value();
    held.wait();
  });
  entered.get_future().wait();
  EXPECT_TRUE(data.Send(testing::GetRandomCommand(8)));  // no ASSERT while the hub is held
  tpm.StopSwtpm();
  tpm.StartSwtpm();
  release.set_value();
  EXPECT_EQ(testing::RandomBytes(data.ReadTpmResponse()).size(), 8U);
}

// Busy-polling changes when the hub thread sleeps, never what it relays: a hub that
// never polls and one that always does serve the same exchanges.
TEST(RelayDataTest, ServesTheSameWithAndWithoutBusyPolling) {
  for (const auto window : {std::chrono::microseconds(0), std::chrono::microseconds(100000)}) {
    auto hub = RelayHub::Start(window);
    ASSERT_TRUE(hub.ok()) << hub.error().message();
    RelayedTpm tpm(*hub);
    ASSERT_TRUE(tpm.ready());
    {
      Client client = Client::Connect(tpm.socket_path());
      for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(testing::RandomBytes(client.Exchange(testing::GetRandomCommand(8))).size(), 8U) << window.count();
      }
    }
    ExpectServing(tpm);  // the data channel is exclusive: the first client has gone
  }
  EXPECT_EQ(RelayHub::Start(std::chrono::microseconds(-1)).error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace vtpmd::vtpm
