// Start-up failures are quick, clear and non-zero; shutdown on SIGTERM is clean.

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "tests/integration/test_server.h"

namespace vtpmd::testing {
namespace {

TEST(Startup, MissingPlatformTpmFailsFastWithAClearMessage) {
  const auto dir = MakeTempDir("vtpmd-notpm");
  CommandResult result = RunVtpmdToExit({"--data-dir", (dir / "data").string(), "--listen", "127.0.0.1:0",
                                         "--platform-tpm", "swtpm:path=/nonexistent/socket"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.exit_code, 124) << "vtpmd hung instead of failing";
  EXPECT_NE(result.output.find("platform TPM"), std::string::npos) << result.output;
  std::filesystem::remove_all(dir);
}

TEST(Startup, BadFlagsAndConfigFilesAreUsageErrors) {
  EXPECT_EQ(RunVtpmdToExit({"--listen", "nonsense"}).exit_code, 2);
  EXPECT_EQ(RunVtpmdToExit({"--no-such-flag", "1"}).exit_code, 2);
  EXPECT_EQ(RunVtpmdToExit({"--threads", "-1"}).exit_code, 2);
  const auto dir = MakeTempDir("vtpmd-config");
  const std::string config = WriteTempFile(dir, "bad.json", R"({"listen": "127.0.0.1:8443", "colour": "blue"})");
  CommandResult bad = RunVtpmdToExit({"--config", config});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("colour"), std::string::npos) << bad.output;
  EXPECT_EQ(RunVtpmdToExit({"--help"}).exit_code, 0);
  std::filesystem::remove_all(dir);
}

TEST(Startup, ConfigFileIsAppliedAndFlagsOverrideIt) {
  const auto dir = MakeTempDir("vtpmd-config");
  const std::string config = WriteTempFile(dir, "vtpmd.json", R"({"listen": "127.0.0.1:1", "body-limit": 2048})");
  auto server = VtpmdProcess::Start(dir / "data", {"--config", config});  // --listen 127.0.0.1:0 comes after
  ASSERT_TRUE(server.ok()) << server.error().message();
  EXPECT_NE((*server)->port(), 1);
  JsonReply big = Call(**server, "POST", "/v1/tokens", (*server)->admin_token(), std::string(3000, ' '));
  EXPECT_EQ(big.status, 413u);
  EXPECT_EQ((*server)->Stop(), 0);
  std::filesystem::remove_all(dir);
}

TEST(Startup, ADataDirectoryServesOneVtpmdAtATime) {
  const auto dir = MakeTempDir("vtpmd-lock");
  auto first = VtpmdProcess::Start(dir / "data");
  ASSERT_TRUE(first.ok()) << first.error().message();
  CommandResult second = RunVtpmdToExit({"--data-dir", (dir / "data").string(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.output.find("already using"), std::string::npos) << second.output;
  EXPECT_EQ(Call(**first, "GET", "/healthz").status, 200u);

  struct stat info {};
  ASSERT_EQ(::stat((*first)->admin_token_file().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir / "data").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  EXPECT_EQ((*first)->Stop(), 0) << "SIGTERM must drain and exit cleanly";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vtpmd::testing
