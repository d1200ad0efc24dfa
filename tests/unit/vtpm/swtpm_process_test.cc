#include "vtpm/swtpm_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "core/random.h"
#include "tests/unit/vtpm/test_support.h"
#include "vtpm/esys_context.h"
#include "vtpm/nv_index.h"

namespace vtpmd::vtpm {
namespace {

using testing::TempDir;

constexpr char kMarker[] = "VTPMD-STATE-PLAINTEXT-MARKER-0123456789abcdef";

SecretBytes Key(std::uint64_t seed) {
  DeterministicRng rng(seed);
  auto key = rng.GenerateSecret(SwtpmProcess::kStateKeySize);
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

SwtpmOptions Options(const std::filesystem::path& dir, std::optional<SecretBytes> key) {
  SwtpmOptions options;
  options.state_dir = dir;
  options.state_key = std::move(key);
  return options;
}

// Writes kMarker into an NV index so the state file holds a known plaintext.
void WriteMarker(SwtpmProcess& swtpm) {
  auto esys = EsysContext::Connect(swtpm.tcti());
  ASSERT_TRUE(esys.ok()) << esys.error().message();
  Status written = WriteNvCertificate((*esys)->get(), 0x01c10000, AsBytes(kMarker), 512);
  ASSERT_TRUE(written.ok()) << written.error().message();
}

bool StateContainsMarker(const std::filesystem::path& dir) {
  Bytes state = testing::ReadFileBytes(dir / "tpm2-00.permall");
  EXPECT_FALSE(state.empty());
  std::string_view marker(kMarker);
  return std::search(state.begin(), state.end(), marker.begin(), marker.end()) != state.end();
}

TEST(SwtpmProcessTest, StartsWithPrivateDirectoryAndAcceptsConnections) {
  TempDir dir;
  auto swtpm = SwtpmProcess::Start(Options(dir.path() / "tpm", std::nullopt));
  ASSERT_TRUE(swtpm.ok()) << swtpm.error().message();
  EXPECT_TRUE((*swtpm)->Alive());
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() / "tpm").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
  EXPECT_EQ((*swtpm)->tcti(), "swtpm:path=" + (dir.path() / "tpm" / "swtpm.sock").string());
  auto esys = EsysContext::Connect((*swtpm)->tcti());
  ASSERT_TRUE(esys.ok()) << esys.error().message();
}

TEST(SwtpmProcessTest, KilledChildIsNotAlive) {
  TempDir dir;
  auto swtpm = SwtpmProcess::Start(Options(dir.path(), std::nullopt));
  ASSERT_TRUE(swtpm.ok()) << swtpm.error().message();
  ASSERT_EQ(::kill((*swtpm)->pid(), SIGKILL), 0);
  for (int i = 0; i < 500 && (*swtpm)->Alive(); ++i) ::usleep(10'000);
  EXPECT_FALSE((*swtpm)->Alive());
  (*swtpm)->Stop();  // must not signal a reaped (possibly reused) pid
}

TEST(SwtpmProcessTest, StopEndsTheChild) {
  TempDir dir;
  auto swtpm = SwtpmProcess::Start(Options(dir.path(), std::nullopt));
  ASSERT_TRUE(swtpm.ok()) << swtpm.error().message();
  const pid_t pid = (*swtpm)->pid();
  (*swtpm)->Stop();
  EXPECT_FALSE((*swtpm)->Alive());
  EXPECT_NE(::kill(pid, 0), 0);
}

TEST(SwtpmProcessTest, SecondInstanceOnSameDirectoryIsRefused) {
  TempDir dir;
  auto first = SwtpmProcess::Start(Options(dir.path(), std::nullopt));
  ASSERT_TRUE(first.ok()) << first.error().message();
  auto second = SwtpmProcess::Start(Options(dir.path(), std::nullopt));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE((*first)->Alive());
}

TEST(SwtpmProcessTest, RejectsKeyOfWrongSize) {
  TempDir dir;
  auto swtpm = SwtpmProcess::Start(Options(dir.path(), SecretBytes(16)));
  ASSERT_FALSE(swtpm.ok());
  EXPECT_EQ(swtpm.error().code(), ErrorCode::kInvalidArgument);
}

TEST(SwtpmProcessTest, UnencryptedStateHoldsPlaintext) {
  TempDir dir;
  {
    auto swtpm = SwtpmProcess::Start(Options(dir.path(), std::nullopt));
    ASSERT_TRUE(swtpm.ok()) << swtpm.error().message();
    WriteMarker(**swtpm);
  }
  EXPECT_TRUE(StateContainsMarker(dir.path()));
}

TEST(SwtpmProcessTest, EncryptedStateHidesPlaintextAndNeedsTheKey) {
  TempDir dir;
  {
    auto swtpm = SwtpmProcess::Start(Options(dir.path(), Key(1)));
    ASSERT_TRUE(swtpm.ok()) << swtpm.error().message();
    WriteMarker(**swtpm);
  }
  EXPECT_FALSE(StateContainsMarker(dir.path()));

  auto wrong = SwtpmProcess::Start(Options(dir.path(), Key(2)));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(wrong.error().message().find("log:"), std::string::npos);

  auto right = SwtpmProcess::Start(Options(dir.path(), Key(1)));
  ASSERT_TRUE(right.ok()) << right.error().message();
  auto esys = EsysContext::Connect((*right)->tcti());
  ASSERT_TRUE(esys.ok()) << esys.error().message();
  auto marker = ReadNvIndex((*esys)->get(), 0x01c10000, 512);
  ASSERT_TRUE(marker.ok()) << marker.error().message();
  ASSERT_TRUE(marker->has_value());
  EXPECT_EQ(AsChars(**marker), std::string_view(kMarker));
}

TEST(SwtpmProcessTest, AStartErrorQuotesOnlyThatStartsLog) {
  TempDir dir;
  {
    auto swtpm = SwtpmProcess::Start(Options(dir.path(), Key(1)));
    ASSERT_TRUE(swtpm.ok()) << swtpm.error().message();
    WriteMarker(**swtpm);
  }
  // What earlier runs left, as every start appends to the same swtpm.log.
  std::ofstream(dir.path() / "swtpm.log", std::ios::app) << "EARLIER-RUN\n";
  auto wrong = SwtpmProcess::Start(Options(dir.path(), Key(2)));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message().find("EARLIER-RUN"), std::string::npos) << wrong.error().message();
  EXPECT_NE(wrong.error().message().find("libtpms"), std::string::npos) << wrong.error().message();
}

}  // namespace
}  // namespace vtpmd::vtpm
