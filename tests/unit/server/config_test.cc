// vtpmd's configuration: the platform quote latency, the deep-quote batching
// options and the attestation retention, from flags and from the config file, with
// their ranges.
#include "server/app/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace vtpmd::app {
namespace {

using std::chrono::milliseconds;

Result<Config> Parse(const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"vtpmd"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  return ParseConfig(static_cast<int>(argv.size()), argv.data());
}

TEST(Config, DeepQuoteDefaults) {
  auto config = Parse({});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->platform_quote_latency, milliseconds(0));
  EXPECT_EQ(config->deep_quote_window, milliseconds(20));
  EXPECT_EQ(config->deep_quote_max_batch, 4096U);
  EXPECT_EQ(config->deep_quote_max_in_flight, 16U);
}

TEST(Config, DeepQuoteFlags) {
  auto config = Parse({"--platform-quote-latency-ms", "200", "--deep-quote-window-ms=0", "--deep-quote-max-batch",
                       "65536", "--deep-quote-max-in-flight", "256"});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->platform_quote_latency, milliseconds(200));
  EXPECT_EQ(config->deep_quote_window, milliseconds(0));
  EXPECT_EQ(config->deep_quote_max_batch, 65536U);
  EXPECT_EQ(config->deep_quote_max_in_flight, 256U);

  config = Parse({"--platform-quote-latency-ms", "10000", "--deep-quote-window-ms", "1000", "--deep-quote-max-batch",
                  "1", "--deep-quote-max-in-flight", "1"});
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->platform_quote_latency, milliseconds(10000));
  EXPECT_EQ(config->deep_quote_window, milliseconds(1000));
  EXPECT_EQ(config->deep_quote_max_batch, 1U);
  EXPECT_EQ(config->deep_quote_max_in_flight, 1U);
}

TEST(Config, DeepQuoteValuesOutOfRangeAreRefused) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"--platform-quote-latency-ms", "10001"}, {"--platform-quote-latency-ms", "-1"},
      {"--platform-quote-latency-ms", "5ms"},   {"--deep-quote-window-ms", "1001"},
      {"--deep-quote-window-ms", "-1"},         {"--deep-quote-max-batch", "0"},
      {"--deep-quote-max-batch", "65537"},      {"--deep-quote-max-in-flight", "0"},
      {"--deep-quote-max-in-flight", "257"},    {"--deep-quote-max-in-flight", ""},
  };
  for (const auto& [flag, value] : bad) {
    auto config = Parse({flag, value});
    ASSERT_FALSE(config.ok()) << flag << " " << value;
    EXPECT_EQ(config.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(config.error().message().find(flag.substr(2)), std::string::npos) << config.error().message();
  }
}

TEST(Config, QuoteLatencyIsForTheSimulatedTpmOnly) {
  auto config = Parse({"--platform-tpm", "device:/dev/tpmrm0", "--platform-quote-latency-ms", "200"});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(config.error().message().find("platform-quote-latency-ms"), std::string::npos);
  EXPECT_TRUE(Parse({"--platform-tpm", "device:/dev/tpmrm0", "--platform-quote-latency-ms", "0"}).ok());
}

TEST(Config, DeepQuoteOptionsFromTheConfigFileAndFlagsOverrideThem) {
  std::string pattern = (std::filesystem::temp_directory_path() / "vtpmd-config.XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path dir = pattern;
  const std::filesystem::path file = dir / "vtpmd.json";
  std::ofstream(file) << R"({"platform-quote-latency-ms": 200, "deep-quote-window-ms": 5,
                             "deep-quote-max-batch": 128, "deep-quote-max-in-flight": "8"})";
  auto config = Parse({"--config", file.string(), "--deep-quote-window-ms", "7"});
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->platform_quote_latency, milliseconds(200));
  EXPECT_EQ(config->deep_quote_window, milliseconds(7));
  EXPECT_EQ(config->deep_quote_max_batch, 128U);
  EXPECT_EQ(config->deep_quote_max_in_flight, 8U);
}

TEST(Config, AttestationRetentionDefaultsToThirtyDaysAndIsBounded) {
  EXPECT_EQ(Parse({})->attestation_retention, std::chrono::seconds(30 * 24 * 3600));
  EXPECT_EQ(Parse({"--attestation-retention", "3600"})->attestation_retention, std::chrono::seconds(3600));
  for (const char* bad : {"0", "-5", "315360001", "1d"}) {
    auto config = Parse({"--attestation-retention", bad});
    ASSERT_FALSE(config.ok()) << bad;
    EXPECT_NE(config.error().message().find("attestation-retention"), std::string::npos) << config.error().message();
  }
  EXPECT_NE(ConfigUsage().find("--attestation-retention"), std::string::npos);
}

TEST(Config, UsageNamesTheDeepQuoteFlags) {
  const std::string usage = ConfigUsage();
  for (const char* flag : {"--platform-quote-latency-ms", "--deep-quote-window-ms", "--deep-quote-max-batch",
                           "--deep-quote-max-in-flight"}) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace vtpmd::app
