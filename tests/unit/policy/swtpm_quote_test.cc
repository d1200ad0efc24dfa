// Quotes made just now by a real TPM (swtpm) through tpm2-tools, with RSASSA,
// RSAPSS and ECDSA AIKs, verified as they come and after each tampering, and
// across TPM Restarts and Resets.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "policy/quote_verifier.h"
#include "policy/quoted_pcrs.h"
#include "tests/unit/policy/quote_test_support.h"
#include "tests/unit/vtpm/test_support.h"
#include "vtpm/swtpm_process.h"

namespace vtpmd::testing {
namespace {

using policy::QuoteVerification;
using Strings = std::vector<std::string>;
using vtpm::testing::ReadFileBytes;
using vtpm::testing::RunCommand;

constexpr const char* kSelection = "sha256:0,1,2,16+sha1:0";

struct Aik {
  const char* name;        // file prefix
  const char* handle;      // persistent, so it outlives Restarts and Resets
  const char* create;      // tpm2_createak arguments
  const char* quote_args;  // extra tpm2_quote arguments
};

const Aik kRsa{"rsa", "0x81000100", "-G rsa -g sha256 -s rsassa", ""};
const Aik kPss{"pss", "0x81000101", "-G rsa -g sha256 -s rsapss", "--scheme rsapss"};
const Aik kEcc{"ecc", "0x81000102", "-G ecc256 -g sha256 -s ecdsa", ""};

struct Quote {
  Bytes attest, signature, nonce;
  policy::PcrValues pcrs;
};

class SwtpmQuoteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new vtpm::testing::TempDir();
    swtpm_ = vtpm::testing::StartSwtpmOn(dir_->path() / "tpm").release();
    ASSERT_NE(swtpm_, nullptr);
    Tool("tpm2_pcrextend 16:sha256=" + std::string(64, 'a') + ",sha1=" + std::string(40, 'b'));
    Tool("tpm2_pcrextend 1:sha256=" + std::string(64, 'c'));
    Tool("tpm2_createek -G rsa -c " + File("ek.ctx"));
    Tool("tpm2_flushcontext -t");
    for (const Aik& aik : {kRsa, kPss, kEcc}) {
      const std::string prefix = aik.name;
      Tool("tpm2_createak -C " + File("ek.ctx") + " -c " + File(prefix + ".ctx") + " " + aik.create + " -u " +
           File(prefix + ".pub") + " -f tss");
      Tool("tpm2_flushcontext -t");
      Tool("tpm2_flushcontext -s");
      Tool("tpm2_evictcontrol -C o -c " + File(prefix + ".ctx") + " " + aik.handle);
      Tool("tpm2_flushcontext -t");
    }
  }

  static void TearDownTestSuite() {
    delete swtpm_;
    swtpm_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override { ASSERT_NE(swtpm_, nullptr); }

  static std::string File(const std::string& name) { return (dir_->path() / name).string(); }

  static std::string Tool(const std::string& command) {
    std::string output;
    const int status = RunCommand(std::string(TPM2_TOOLS_DIR) + "/" + command + " -T " + swtpm_->tcti(), &output);
    EXPECT_EQ(status, 0) << command << "\n" << output;
    return output;
  }

  static Quote MakeQuote(const Aik& aik, const std::string& nonce_hex) {
    const std::string prefix = std::string(aik.name) + "-" + nonce_hex;
    Tool("tpm2_quote -c " + std::string(aik.handle) + " -l " + kSelection + " -q " + nonce_hex + " -g sha256 " +
         aik.quote_args + " -m " + File(prefix + ".msg") + " -s " + File(prefix + ".sig") + " -o " +
         File(prefix + ".pcrs"));
    Quote quote{ReadFileBytes(File(prefix + ".msg")), ReadFileBytes(File(prefix + ".sig")), {}, {}};
    auto nonce = HexDecode(nonce_hex);
    EXPECT_TRUE(nonce.ok());
    if (nonce.ok()) quote.nonce = *nonce;
    auto pcrs = policy::ParseTpm2ToolsPcrs(ReadFileBytes(File(prefix + ".pcrs")));
    EXPECT_TRUE(pcrs.ok()) << pcrs.error().message();
    if (pcrs.ok()) quote.pcrs = *pcrs;
    return quote;
  }

  static LoadedAik Load(const Aik& aik) { return LoadAik(ReadFileBytes(File(std::string(aik.name) + ".pub"))); }

  QuoteVerification Verify(const Quote& quote, const Aik& aik) {
    const LoadedAik loaded = Load(aik);
    auto result =
        policy::VerifyQuote({quote.attest, quote.signature, quote.pcrs}, loaded.aik(), quote.nonce, history_.history());
    EXPECT_TRUE(result.ok()) << result.error().message();
    return result.ok() ? *result : QuoteVerification{};
  }

  // Power-cycles the TPM: after Shutdown(STATE), Startup(STATE) is a Resume, which
  // counts as a Restart; without it, Startup(CLEAR) is a Reset.
  static void Restart() {
    Tool("tpm2_shutdown");
    PowerCycle();
    Tool("tpm2_startup");
  }
  static void Reset() {
    PowerCycle();
    Tool("tpm2_startup -c");
  }
  static void PowerCycle() {
    Status reset = swtpm_->ResetTpm(std::chrono::seconds(5));
    ASSERT_TRUE(reset.ok()) << reset.error().message();
  }

  static vtpm::testing::TempDir* dir_;
  static vtpm::SwtpmProcess* swtpm_;
  HistoryStore history_;
};

vtpm::testing::TempDir* SwtpmQuoteTest::dir_ = nullptr;
vtpm::SwtpmProcess* SwtpmQuoteTest::swtpm_ = nullptr;

TEST_F(SwtpmQuoteTest, EveryCheckPassesForEachSignatureScheme) {
  for (const Aik& aik : {kRsa, kPss, kEcc}) {
    SCOPED_TRACE(aik.name);
    const Quote quote = MakeQuote(aik, "c0ffee01");
    const QuoteVerification result = Verify(quote, aik);
    EXPECT_TRUE(result.passed);
    for (const policy::CheckResult& check : result.checks)
      EXPECT_TRUE(check.passed()) << check.check << ": " << check.message;
    ASSERT_TRUE(result.facts.has_value());
    EXPECT_EQ(result.facts->quoted_pcrs, quote.pcrs);
    EXPECT_EQ(result.facts->quoted_pcrs.at(HashAlg::kSha256).size(), 4u);
    EXPECT_EQ(result.facts->quoted_pcrs.at(HashAlg::kSha1).size(), 1u);
    EXPECT_NE(result.facts->quoted_pcrs.at(HashAlg::kSha256).at(16), Bytes(32, 0));
  }
}

TEST_F(SwtpmQuoteTest, EachTamperingFailsWithItsReason) {
  for (const Aik& aik : {kRsa, kPss, kEcc}) {
    SCOPED_TRACE(aik.name);
    const Quote quote = MakeQuote(aik, "c0ffee02");

    Quote flipped = quote;
    flipped.signature[flipped.signature.size() - 3] ^= 0x04;
    EXPECT_EQ(Failures(Verify(flipped, aik)), Strings{"signature:signature-invalid"});

    Quote other_nonce = quote;
    other_nonce.nonce[0] ^= 0xff;
    EXPECT_EQ(Failures(Verify(other_nonce, aik)), Strings{"nonce:nonce-mismatch"});

    Quote changed = quote;
    changed.pcrs.at(HashAlg::kSha256).at(16)[31] ^= 0x01;
    EXPECT_EQ(Failures(Verify(changed, aik)), Strings{"pcr-digest:pcr-digest-mismatch"});

    Quote missing = quote;
    missing.pcrs.at(HashAlg::kSha1).erase(0);
    EXPECT_EQ(Failures(Verify(missing, aik)), Strings{"pcr-selection:pcr-values-missing"});

    Quote magic = quote;
    magic.attest[0] ^= 0x10;
    EXPECT_EQ(Failures(Verify(magic, aik)),
              (Strings{"signature:signature-invalid", "tpm-generated:not-tpm-generated"}));
  }
}

TEST_F(SwtpmQuoteTest, CertifyEvidenceIsNotAQuote) {
  // TPM2_Certify of the AIK by itself: TPM-generated and signed by the AIK, but
  // not a quote, so it attests no PCRs (and tpm2_certify 5.4 sends no qualifying
  // data, so the nonce is missing too).
  Tool("tpm2_certify -c " + std::string(kRsa.handle) + " -C " + std::string(kRsa.handle) + " -g sha256 -o " +
       File("certify.msg") + " -s " + File("certify.sig"));
  Quote certify = MakeQuote(kRsa, "c0ffee03");
  certify.attest = ReadFileBytes(File("certify.msg"));
  certify.signature = ReadFileBytes(File("certify.sig"));
  const QuoteVerification result = Verify(certify, kRsa);
  EXPECT_EQ(Failures(result), (Strings{"quote-type:not-a-quote", "nonce:nonce-mismatch"}));
  EXPECT_EQ(Outcome(result, policy::kCheckSignature), "passed");
  EXPECT_EQ(Outcome(result, policy::kCheckTpmGenerated), "passed");
  EXPECT_EQ(Outcome(result, policy::kCheckPcrSelection), "skipped");
  EXPECT_EQ(Outcome(result, policy::kCheckPcrDigest), "skipped");
  EXPECT_EQ(Outcome(result, policy::kCheckClockHistory), "skipped");
}

TEST_F(SwtpmQuoteTest, QuotesAfterARestartAndAResetPassAndTheHistoryFollows) {
  const Quote before = MakeQuote(kEcc, "c0ffee04");
  ASSERT_TRUE(Verify(before, kEcc).passed);

  Restart();
  const Quote restarted = MakeQuote(kEcc, "c0ffee05");
  const QuoteVerification after_restart = Verify(restarted, kEcc);
  EXPECT_EQ(Failures(after_restart), Strings{});
  EXPECT_EQ(after_restart.facts->clock.restart_count, Verify(before, kEcc).facts->clock.restart_count + 1);

  Reset();
  const Quote reset = MakeQuote(kEcc, "c0ffee06");
  const QuoteVerification after_reset = Verify(reset, kEcc);
  EXPECT_EQ(Failures(after_reset), Strings{});
  EXPECT_EQ(after_reset.facts->clock.reset_count, after_restart.facts->clock.reset_count + 1);
  EXPECT_EQ(after_reset.facts->clock.restart_count, 0u);

  // The quotes from before, replayed now (their nonces still given), run behind.
  EXPECT_EQ(Failures(Verify(restarted, kEcc)), Strings{"clock-history:reset-count-went-backwards"});
  Quote old = before;
  EXPECT_EQ(Failures(Verify(old, kEcc)), Strings{"clock-history:reset-count-went-backwards"});
}

TEST_F(SwtpmQuoteTest, AHistoryAheadOfTheQuoteMakesItFail) {
  const Quote quote = MakeQuote(kRsa, "c0ffee07");
  const QuoteVerification first = Verify(quote, kRsa);
  ASSERT_TRUE(first.passed);
  policy::ClockSnapshot ahead = first.facts->clock;
  ahead.clock += 60'000;
  const LoadedAik aik = Load(kRsa);
  ASSERT_TRUE(history_.history().CompareAndRecord(aik.name, ahead).ok());
  EXPECT_EQ(Failures(Verify(quote, kRsa)), Strings{"clock-history:clock-went-backwards"});
  // Another AIK of the same TPM has a history of its own.
  EXPECT_TRUE(Verify(MakeQuote(kPss, "c0ffee07"), kPss).passed);
}

}  // namespace
}  // namespace vtpmd::testing
