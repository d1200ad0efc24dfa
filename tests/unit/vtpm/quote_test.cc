// QuoteAndReadPcrs with PCR values remembered from an earlier quote: reused only
// while they are the quoted ones, read again after an extend.
#include "vtpm/quote.h"

#include <gtest/gtest.h>

#include "core/pcr_selection.h"
#include "vtpm/esys_context.h"
#include "vtpm/swtpm_process.h"
#include "tests/unit/vtpm/test_support.h"

namespace vtpmd::vtpm {
namespace {

constexpr TPM2_HANDLE kSigningKey = 0x81010030;

class QuoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    swtpm_ = testing::StartSwtpmOn(dir_.path() / "tpm");
    ASSERT_NE(swtpm_, nullptr);
    tcti_ = " -T " + swtpm_->tcti();
    const std::string key = (dir_.path() / "key.ctx").string();
    std::string log;
    ASSERT_EQ(testing::RunCommand("tpm2_startup -c" + tcti_, &log), 0) << log;
    const std::string attributes = "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign|restricted";
    ASSERT_EQ(testing::RunCommand("tpm2_createprimary -C o -G ecc256:ecdsa-sha256:null -a \"" + attributes +
                                      "\" -c " + key + tcti_,
                                  &log),
              0)
        << log;
    ASSERT_EQ(testing::RunCommand("tpm2_evictcontrol -c " + key + " " + std::to_string(kSigningKey) + tcti_, &log), 0)
        << log;
    auto esys = EsysContext::Connect(swtpm_->tcti());
    ASSERT_TRUE(esys.ok()) << esys.error().message();
    esys_ = std::move(esys).value();
    ASSERT_EQ(Esys_TR_FromTPMPublic(esys_->get(), kSigningKey, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &key_),
              TSS2_RC_SUCCESS);
    auto selection = tpm::ParsePcrSelectionText("sha256:0,1,16");
    ASSERT_TRUE(selection.ok());
    selection_ = *selection;
  }

  Result<QuoteResult> Quote(const std::vector<PcrBankValues>* known) {
    TPMT_SIG_SCHEME scheme{};
    scheme.scheme = TPM2_ALG_ECDSA;
    scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    TPM2B_DATA nonce{};
    nonce.size = 4;
    return QuoteAndReadPcrs(esys_->get(), key_, scheme, nonce, selection_, known);
  }

  void Extend16() {
    std::string log;
    ASSERT_EQ(testing::RunCommand("tpm2_pcrextend 16:sha256=" + std::string(64, 'b') + tcti_, &log), 0) << log;
  }

  testing::TempDir dir_;
  std::unique_ptr<SwtpmProcess> swtpm_;
  std::string tcti_;
  std::unique_ptr<EsysContext> esys_;
  ESYS_TR key_ = ESYS_TR_NONE;
  TPML_PCR_SELECTION selection_{};
};

TEST_F(QuoteTest, RemembersValuesOnlyWhileTheyAreTheQuotedOnes) {
  auto first = Quote(nullptr);
  ASSERT_TRUE(first.ok()) << first.error().message();
  auto again = Quote(&first->pcrs);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(ValuesInTpmOrder(again->pcrs), ValuesInTpmOrder(first->pcrs));

  Extend16();
  auto extended = Quote(&first->pcrs);
  ASSERT_TRUE(extended.ok()) << extended.error().message();
  EXPECT_NE(ValuesInTpmOrder(extended->pcrs), ValuesInTpmOrder(first->pcrs)) << "stale values were not reused";
  ASSERT_EQ(extended->pcrs.size(), 1u);
  EXPECT_NE(extended->pcrs[0].values.back().second, first->pcrs[0].values.back().second);

  // Values of another selection are never taken for this one.
  std::vector<PcrBankValues> fewer = extended->pcrs;
  fewer[0].values.pop_back();
  auto reread = Quote(&fewer);
  ASSERT_TRUE(reread.ok()) << reread.error().message();
  EXPECT_EQ(ValuesInTpmOrder(reread->pcrs), ValuesInTpmOrder(extended->pcrs));
}

}  // namespace
}  // namespace vtpmd::vtpm
