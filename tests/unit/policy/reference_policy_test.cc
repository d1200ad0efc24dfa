// The policy document parser: the shared documents in tests/data/policies (which
// policy_schema_test.py holds the JSON Schema to as well), the canonical form, and
// the limits the schema cannot state.
#include "policy/reference_policy.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "policy/event_types.h"
#include "tests/support/test_data.h"

namespace vtpmd::policy {
namespace {

std::vector<std::filesystem::path> Documents(std::string_view folder) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::TestDataPath("policies/" + std::string(folder)))) {
    if (entry.path().extension() == ".json") out.push_back(entry.path());
  }
  return out;
}

Result<PolicyDocument> ParseFile(const std::filesystem::path& path) {
  VTPMD_ASSIGN_OR_RETURN(Bytes text, testing::ReadTestData("policies/" + path.parent_path().filename().string() + "/" +
                                                           path.filename().string()));
  return ParsePolicyDocumentJson(AsChars(text));
}

std::string Hex(char digit, std::size_t bytes) {
  return std::string(2 * bytes, digit);
}

TEST(PolicyDocument, AcceptsTheDocumentsTheSchemaAccepts) {
  const auto documents = Documents("valid");
  ASSERT_GE(documents.size(), 4u);
  for (const auto& path : documents) {
    auto parsed = ParseFile(path);
    EXPECT_TRUE(parsed.ok()) << path.filename() << ": " << parsed.error().message();
  }
}

TEST(PolicyDocument, RefusesTheDocumentsTheSchemaRefuses) {
  const auto documents = Documents("invalid");
  ASSERT_GE(documents.size(), 30u);
  for (const auto& path : documents) {
    auto parsed = ParseFile(path);
    ASSERT_FALSE(parsed.ok()) << path.filename() << " was accepted";
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument) << path.filename();
  }
}

TEST(PolicyDocument, ReadsRulesPerSectionBankAndEventType) {
  auto parsed = ParseFile(testing::TestDataPath("policies/valid/web-fleet.json"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->name, "web-fleet");
  ASSERT_TRUE(parsed->guest && parsed->platform);
  EXPECT_EQ(parsed->guest->pcrs.at(HashAlg::kSha256).at(0).size(), 2u);
  EXPECT_EQ(parsed->guest->pcrs.at(HashAlg::kSha256).at(7), AllowedDigests{Bytes(32, 0xbb)});
  EXPECT_EQ(parsed->guest->events.at(kEvSeparator).at(HashAlg::kSha1), AllowedDigests{Bytes(20, 0xaa)});
  EXPECT_TRUE(parsed->guest->events.contains(kEvEfiVariableDriverConfig));
  EXPECT_EQ(parsed->platform->pcrs.size(), 1u);
  EXPECT_TRUE(parsed->platform->events.empty());
}

TEST(PolicyDocument, CanonicalFormParsesBackToTheSameDocument) {
  for (const auto& path : Documents("valid")) {
    auto parsed = ParseFile(path);
    ASSERT_TRUE(parsed.ok()) << path.filename();
    const std::string canonical = boost::json::serialize(PolicyDocumentJson(*parsed));
    auto again = ParsePolicyDocumentJson(canonical);
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_EQ(*again, *parsed) << path.filename();
    EXPECT_EQ(boost::json::serialize(PolicyDocumentJson(*again)), canonical) << "the canonical form is stable";
  }
}

TEST(PolicyDocument, NamesTheOffendingField) {
  auto refused = ParsePolicyDocumentJson(R"({"name":"x","guest":{"pcrs":{"sha256":{"7":["00"]}}}})");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(), "guest.pcrs.sha256.7[0]: must be 64 lower-case hex digits (a sha256 digest)");
}

// A schema can bound each list, not their sum; nor a document's size.
TEST(PolicyDocument, RefusesMoreDigestsInAllThanThePolicyLimit) {
  boost::json::object pcrs;
  std::size_t counter = 0;
  for (unsigned pcr = 0; pcr < 9; ++pcr) {
    boost::json::array digests;
    for (std::size_t i = 0; i < kMaxAllowedDigestsPerRule; ++i) {
      char hex[65];
      std::snprintf(hex, sizeof hex, "%064zx", counter++);
      digests.emplace_back(hex);
    }
    pcrs[std::to_string(pcr)] = std::move(digests);
  }
  boost::json::object document{{"name", "big"}, {"guest", {{"pcrs", {{"sha256", pcrs}}}}}};
  auto refused = ParsePolicyDocument(document);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("at most 8192 digests"), std::string::npos) << refused.error().message();

  const std::string padded = R"({"name":"x","description":")" + std::string(kMaxPolicyDocumentSize, ' ') + "\"}";
  EXPECT_FALSE(ParsePolicyDocumentJson(padded).ok());
}

TEST(PolicyDocument, RefusesMalformedJsonAndDeepNesting) {
  EXPECT_FALSE(ParsePolicyDocumentJson("").ok());
  EXPECT_FALSE(ParsePolicyDocumentJson(R"({"name":"x",)").ok());
  EXPECT_FALSE(ParsePolicyDocumentJson(std::string(100, '[') + std::string(100, ']')).ok());
  EXPECT_FALSE(
      ParsePolicyDocumentJson(R"({"name":"x","guest":{"events":{"EV_IPL":{"sha1":[")" + Hex('a', 20) + "\",null]}}}}")
          .ok());
}

TEST(PolicyName, FollowsTheDocumentedSyntax) {
  for (std::string_view good : {"a", "0", "web-fleet", "host.boot_v2", "a-b.c_d"}) {
    EXPECT_TRUE(ValidatePolicyName(good).ok()) << good;
  }
  for (std::string_view bad : {"", "-a", ".a", "_a", "A", "a b", "a/b", "a%2f", "ä"}) {
    EXPECT_FALSE(ValidatePolicyName(bad).ok()) << bad;
  }
  EXPECT_TRUE(ValidatePolicyName(std::string(kMaxPolicyNameLength, 'a')).ok());
  EXPECT_FALSE(ValidatePolicyName(std::string(kMaxPolicyNameLength + 1, 'a')).ok());
}

}  // namespace
}  // namespace vtpmd::policy
