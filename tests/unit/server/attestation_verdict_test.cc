#include "server/app/attestation_verdict.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace vtpmd::app {
namespace {

using policy::CheckResult;
using policy::ReasonCode;

TEST(AttestationVerdict, ASubmoduleIsAsGoodAsItsWorstCheck) {
  EXPECT_EQ((Submodule{kSubmodVtpmQuote, {CheckResult::Passed("a", ""), CheckResult::Passed("b", "")}}.status()),
            EarStatus::kAffirming);
  EXPECT_EQ((Submodule{kSubmodVtpmQuote, {CheckResult::Passed("a", ""), CheckResult::Skipped("b", "")}}.status()),
            EarStatus::kWarning);
  EXPECT_EQ((Submodule{kSubmodVtpmQuote,
                       {CheckResult::Skipped("a", ""), CheckResult::Failed("b", ReasonCode::kNonceMismatch, "")}}
                 .status()),
            EarStatus::kContraindicated);
  EXPECT_EQ((Submodule{kSubmodPolicy, {}}.status()), EarStatus::kWarning) << "nothing checked is nothing affirmed";
}

TEST(AttestationVerdict, OverallIsTheWorstSubmodule) {
  std::vector<Submodule> submodules{{kSubmodVtpmQuote, {CheckResult::Passed("a", "")}},
                                    {kSubmodEventLog, {CheckResult::Skipped("b", "")}}};
  EXPECT_EQ(OverallStatus(submodules), EarStatus::kWarning);
  submodules.push_back({kSubmodAikChain, {CheckResult::Failed(kCheckAikChain, ReasonCode::kAikRevoked, "revoked")}});
  EXPECT_EQ(OverallStatus(submodules), EarStatus::kContraindicated);

  const boost::json::array reasons = FailureReasonsJson(submodules);
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0].at("reason").as_string(), "aik-revoked");
  EXPECT_EQ(reasons[0].at("submod").as_string(), "aik-chain");

  const boost::json::object json = SubmodulesJson(submodules);
  EXPECT_EQ(json.at("aik-chain").at("status").as_string(), "contraindicated");
  EXPECT_EQ(json.at("aik-chain").at("checks").at(0).at("reason").as_string(), "aik-revoked");
  EXPECT_FALSE(json.at("vtpm-quote").at("checks").at(0).as_object().contains("reason"));
}

TEST(AttestationVerdict, EarClaimsFollowTheProfile) {
  const std::vector<Submodule> submodules{
      {kSubmodVtpmQuote, {CheckResult::Failed("nonce", ReasonCode::kNonceMismatch, "")}},
      {kSubmodPolicy, {CheckResult::Passed("policy", "")}}};
  const EarContext context{"id-1", 1700000000, Bytes{1, 2, 3, 4, 5, 6, 7, 8}, "inst", "vm", "web", 2};
  const boost::json::object claims = EarClaims(context, submodules);
  EXPECT_EQ(claims.at("eat_profile").as_string(), kEarProfile);
  EXPECT_EQ(claims.at("iat").as_int64(), 1700000000);
  EXPECT_EQ(claims.at("eat_nonce").as_string(), Base64UrlEncode(context.nonce));
  EXPECT_EQ(claims.at("jti").as_string(), "id-1");
  EXPECT_TRUE(claims.at("ear.verifier-id").as_object().contains("developer"));
  EXPECT_EQ(claims.at("submods").at("vtpm-quote").at("ear.status").as_string(), "contraindicated");
  EXPECT_EQ(claims.at("submods").at("vtpm-quote").at("vtpmd.reasons").at(0).as_string(), "nonce-mismatch");
  EXPECT_EQ(claims.at("submods").at("policy").at("ear.status").as_string(), "affirming");
  EXPECT_EQ(claims.at("vtpmd.policy").at("version").as_int64(), 2);
}

}  // namespace
}  // namespace vtpmd::app
