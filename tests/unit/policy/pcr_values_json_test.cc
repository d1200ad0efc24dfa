// The reader of PCR values as JSON (bank -> PCR index -> hex digest).
#include "policy/pcr_values_json.h"

#include <gtest/gtest.h>

#include <string>

namespace vtpmd::testing {
namespace {

using policy::ParsePcrValuesJson;

const std::string kSha1Zero(40, '0');
const std::string kSha256Ones(64, 'f');

std::string Document() {
  return R"({"sha256":{"0":")" + kSha256Ones + R"(","16":")" + kSha256Ones + R"("},"sha1":{"0":")" + kSha1Zero +
         R"("}})";
}

TEST(PcrValuesJson, ReadsBanksAndPcrs) {
  auto values = ParsePcrValuesJson(Document());
  ASSERT_TRUE(values.ok()) << values.error().message();
  ASSERT_EQ(values->size(), 2u);
  EXPECT_EQ(values->at(HashAlg::kSha256).size(), 2u);
  EXPECT_EQ(values->at(HashAlg::kSha256).at(16), Bytes(32, 0xff));
  EXPECT_EQ(values->at(HashAlg::kSha1).at(0), Bytes(20, 0));
  // Whitespace and upper-case hex are fine, and so is no value at all.
  EXPECT_TRUE(ParsePcrValuesJson(" {\"sha384\" : {\"23\": \"" + std::string(96, 'A') + "\"}}\n").ok());
  EXPECT_TRUE(ParsePcrValuesJson("{}").ok());
}

TEST(PcrValuesJson, RefusesEveryTruncationAndTrailingBytes) {
  const std::string document = Document();
  for (std::size_t size = 0; size < document.size(); ++size) {
    EXPECT_FALSE(ParsePcrValuesJson(document.substr(0, size)).ok()) << size;
  }
  EXPECT_FALSE(ParsePcrValuesJson(document + "x").ok());
  EXPECT_FALSE(ParsePcrValuesJson(document + "{}").ok());
}

TEST(PcrValuesJson, RefusesOtherShapes) {
  const std::string value = "\"" + kSha256Ones + "\"";
  for (const std::string& bad : {
           std::string("[]"),
           std::string("\"sha256\""),
           std::string("null"),
           R"({"sha256":[)" + value + "]}",
           R"({"sha256":)" + value + "}",
           R"({"sha256":{"0":{"value":)" + value + "}}}",
           std::string(R"({"sha256":{"0":1}})"),
           std::string(R"({"sha256":{"0":null}})"),
           std::string(R"({"sha256":{"0":true}})"),
           std::string(R"({"sha256":{}})"),
           R"({"sm3_256":{"0":)" + value + "}}",
           R"({"SHA256":{"0":)" + value + "}}",
           R"({"sha256":{"24":)" + value + "}}",
           R"({"sha256":{"00":)" + value + "}}",
           R"({"sha256":{"-1":)" + value + "}}",
           R"({"sha256":{" 1":)" + value + "}}",
           R"({"sha256":{"0":")" + kSha1Zero + "\"}}",
           R"({"sha256":{"0":")" + std::string(63, 'f') + "\"}}",
           R"({"sha256":{"0":")" + std::string(62, 'f') + "zz\"}}",
           R"({"sha256":{"0":)" + value + R"(,"0":)" + value + "}}",
           R"({"sha256":{"0":)" + value + R"(},"sha256":{"1":)" + value + "}}",
           R"({"sha256":{"0":)" + value + "} /* comment */}",
       }) {
    EXPECT_FALSE(ParsePcrValuesJson(bad).ok()) << bad;
  }
}

TEST(PcrValuesJson, RefusesSizesBeyondTheLimits) {
  EXPECT_FALSE(ParsePcrValuesJson(std::string(policy::kMaxPcrValuesJsonSize + 1, ' ')).ok());
  std::string too_many = R"({"sha256":{)";
  for (int pcr = 0; pcr < 25; ++pcr)
    too_many += (pcr ? "," : "") + ("\"" + std::to_string(pcr % 24) + "\":\"" + kSha256Ones + "\"");
  EXPECT_FALSE(ParsePcrValuesJson(too_many + "}}").ok());
  EXPECT_FALSE(ParsePcrValuesJson(R"({"sha256":{"0":")" + std::string(200, 'f') + "\"}}").ok());
  EXPECT_FALSE(ParsePcrValuesJson("{\"" + std::string(100, 's') + "\":{}}").ok());
}

}  // namespace
}  // namespace vtpmd::testing
