#include "server/cli/event_log_json.h"

#include <sys/wait.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "tests/support/test_data.h"

namespace vtpmd::cli {
namespace {

using testing::TestDataPath;

// Runs the vtpmctl binary (no server: the eventlog commands are offline).
std::string RunVtpmctl(const std::string& arguments, int* exit_status) {
  const std::string command = std::string(VTPMCTL_BINARY) + " " + arguments + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string out;
  char buffer[4096];
  for (std::size_t n; pipe && (n = std::fread(buffer, 1, sizeof(buffer), pipe.get())) > 0;) out.append(buffer, n);
  const int status = pipe ? pclose(pipe.release()) : -1;
  *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

boost::json::value ExpectedPcrs(const std::string& name) {
  auto text = testing::ReadTestData("eventlogs/expected-pcrs.json");
  EXPECT_TRUE(text.ok());
  if (!text.ok()) return nullptr;
  return boost::json::parse(AsChars(*text)).at(name).at("banks");
}

TEST(EventLogCommands, VtpmctlReplaysARealLogToTheReportedPcrs) {
  int status = -1;
  const std::string output =
      RunVtpmctl("eventlog replay '" + TestDataPath("eventlogs/ubuntu-2104-no-secure-boot.bin") + "'", &status);
  ASSERT_EQ(status, 0) << output;
  boost::system::error_code ec;
  const boost::json::value replay = boost::json::parse(output, ec);
  ASSERT_FALSE(ec) << output;
  const boost::json::object& pcrs = replay.at("pcrs").as_object();
  EXPECT_TRUE(pcrs.contains("sha384"));  // the log has a SHA-384 bank the TPM's report left out
  const boost::json::value expected = ExpectedPcrs("Ubuntu2104NoSecureBootGCE");
  ASSERT_EQ(expected.as_object().size(), 2u);
  for (const auto& [bank, values] : expected.as_object()) {
    ASSERT_TRUE(pcrs.contains(bank)) << bank;
    for (const auto& [pcr, value] : values.as_object()) {
      ASSERT_TRUE(pcrs.at(bank).as_object().contains(pcr)) << bank << " PCR " << pcr;
      EXPECT_EQ(pcrs.at(bank).at(pcr), value) << bank << " PCR " << pcr;
    }
  }
}

TEST(EventLogCommands, VtpmctlRefusesWhatIsNotAnEventLog) {
  int status = -1;
  const std::string output = RunVtpmctl("eventlog show '" + TestDataPath("eventlogs/README.md") + "'", &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(output.find("exceeds the 16 MiB limit"), std::string::npos) << output;
  RunVtpmctl("eventlog show", &status);
  EXPECT_EQ(status, 2);
}

TEST(EventLogCommands, ShowsEveryEventWithItsDecodedData) {
  auto shown = EventLogShowJson(TestDataPath("eventlogs/cos-85-amd-sev.bin"));
  ASSERT_TRUE(shown.ok()) << shown.error().message();
  EXPECT_EQ(shown->at("format"), "crypto-agile");
  EXPECT_EQ(shown->at("spec_id").at("algorithms").as_array().size(), 3u);
  const boost::json::array& events = shown->at("events").as_array();
  ASSERT_EQ(events.size(), 46u);

  const boost::json::value& secure_boot = events[3];
  EXPECT_EQ(secure_boot.at("sequence"), 3);
  EXPECT_EQ(secure_boot.at("pcr"), 7);
  EXPECT_EQ(secure_boot.at("type"), "EV_EFI_VARIABLE_DRIVER_CONFIG");
  EXPECT_EQ(secure_boot.at("type_value"), 0x80000001u);
  EXPECT_EQ(secure_boot.at("digests").as_object().size(), 3u);
  EXPECT_EQ(secure_boot.at("digests").at("sha1").as_string().size(), 40u);
  const boost::json::value& variable = secure_boot.at("decoded").at("uefi_variable");
  EXPECT_EQ(variable.at("guid"), "8be4df61-93ca-11d2-aa0d-00e098032b8c");
  EXPECT_EQ(variable.at("name"), "SecureBoot");
  EXPECT_EQ(variable.at("data"), "01");

  EXPECT_EQ(events[0].at("decoded").at("no_action").at("signature"), "Spec ID Event03");
  EXPECT_EQ(events[1].at("decoded").at("text"), "GCE Virtual Firmware v1");
  EXPECT_EQ(events[13].at("decoded").at("separator"), 0);
  EXPECT_EQ(events[24].at("decoded").at("uefi_variable").at("trailing_bytes"), 6);
  EXPECT_FALSE(events[2].as_object().contains("decoded"));  // EV_NONHOST_INFO: vendor data
}

}  // namespace
}  // namespace vtpmd::cli
