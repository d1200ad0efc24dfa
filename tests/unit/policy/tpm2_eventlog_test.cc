// tpm2_eventlog (tpm2-tools) as an independent replay: for every real log it must
// compute the PCR values we do, in every bank.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "policy/event_log.h"
#include "policy/event_log_replay.h"
#include "tests/support/test_data.h"
#include "tests/unit/policy/event_log_vectors.h"

namespace vtpmd::testing {
namespace {

Result<std::string> RunTpm2Eventlog(const std::string& path) {
  const std::string command = std::string(TPM2_EVENTLOG) + " '" + path + "' 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return Internal("cannot run " + command);
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe.get())) > 0;) out.append(buffer, n);
  if (pclose(pipe.release()) != 0) return Internal(command + " failed");
  return out;
}

// The "pcrs:" section that ends tpm2_eventlog's YAML:
//   pcrs:
//     sha256:
//       0  : 0x0f35...
Result<policy::PcrValues> ParsePcrsSection(const std::string& yaml) {
  const auto start = yaml.find("\npcrs:\n");
  if (start == std::string::npos) return InvalidArgument("no pcrs: section");
  std::istringstream lines(yaml.substr(start + 7));
  policy::PcrValues out;
  policy::PcrBankValues* bank = nullptr;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("  ") && !line.starts_with("    ") && line.ends_with(":")) {
      VTPMD_ASSIGN_OR_RETURN(HashAlg alg, HashAlgFromName(line.substr(2, line.size() - 3)));
      bank = &out[alg];
      continue;
    }
    unsigned pcr = 0;
    char hex[160] = {};
    if (bank == nullptr || std::sscanf(line.c_str(), " %u : 0x%159s", &pcr, hex) != 2) {
      return InvalidArgument("unexpected line in pcrs: \"" + line + "\"");
    }
    VTPMD_ASSIGN_OR_RETURN((*bank)[pcr], HexDecode(hex));
  }
  return out;
}

TEST(Tpm2Eventlog, ReplaysEveryRealLogAsWeDo) {
  const std::vector<std::string> files = EventLogFiles();
  ASSERT_FALSE(files.empty());
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    auto yaml = RunTpm2Eventlog(TestDataPath(file));
    ASSERT_TRUE(yaml.ok()) << yaml.error().message();
    auto theirs = ParsePcrsSection(*yaml);
    ASSERT_TRUE(theirs.ok()) << theirs.error().message();

    auto bytes = ReadTestData(file);
    ASSERT_TRUE(bytes.ok());
    auto log = policy::EventLog::Parse(*bytes);
    ASSERT_TRUE(log.ok()) << log.error().message();
    auto ours = policy::ReplayEventLog(*log);
    ASSERT_TRUE(ours.ok()) << ours.error().message();
    EXPECT_EQ(*ours, *theirs);
  }
}

}  // namespace
}  // namespace vtpmd::testing
