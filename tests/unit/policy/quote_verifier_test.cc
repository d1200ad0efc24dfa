// The verifier on the quotes recorded from swtpm under tests/data/tpm, untouched and
// tampered with one way at a time: each tampering fails with exactly its reason.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/tpm_wire.h"
#include "policy/event_log_quote_check.h"
#include "policy/event_types.h"
#include "policy/quoted_pcrs.h"
#include "tests/support/test_data.h"
#include "tests/unit/core/tpm_vectors.h"
#include "tests/unit/policy/event_log_builder.h"
#include "tests/unit/policy/quote_test_support.h"

namespace vtpmd::testing {
namespace {

using policy::ClockSnapshot;
using policy::QuoteVerification;
using Strings = std::vector<std::string>;

Bytes Data(const std::string& path) {
  auto bytes = ReadTestData(path);
  EXPECT_TRUE(bytes.ok()) << path;
  return bytes.ok() ? *bytes : Bytes{};
}

Bytes Hex(std::string_view hex) {
  auto bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : Bytes{};
}

// One recorded quote, its AIK and a fresh history; tests change a copy of the
// evidence and verify it.
class RecordedQuote {
 public:
  explicit RecordedQuote(const tpm::QuoteVector& vector)
      : attest(Data("tpm/" + vector.quote + ".msg")),
        signature(Data("tpm/" + vector.quote + ".sig")),
        nonce(Hex(vector.nonce_hex)),
        aik_(LoadAik(Data("tpm/" + vector.key + ".pub"))) {
    auto values = policy::ParseTpm2ToolsPcrs(Data("tpm/" + vector.quote + ".pcrs"));
    EXPECT_TRUE(values.ok()) << values.error().message();
    if (values.ok()) pcrs = *values;
  }

  QuoteVerification Verify() { return VerifyWith(aik_.aik()); }
  QuoteVerification VerifyWith(const policy::AikKey& aik) {
    auto result = policy::VerifyQuote({attest, signature, pcrs}, aik, nonce, history_.history());
    EXPECT_TRUE(result.ok()) << result.error().message();
    return result.ok() ? *result : QuoteVerification{};
  }
  ClockSnapshot Clock() const {
    auto parsed = tpm::ParseAttest(attest);
    EXPECT_TRUE(parsed.ok());
    return {parsed->clockInfo.clock, parsed->clockInfo.resetCount, parsed->clockInfo.restartCount};
  }
  std::optional<ClockSnapshot> Recorded() {
    auto compared = history_.history().Compare(aik_.name, Clock());
    EXPECT_TRUE(compared.ok());
    return compared.ok() ? compared->last : std::nullopt;
  }
  void Record(const ClockSnapshot& snapshot) {
    ASSERT_TRUE(history_.history().CompareAndRecord(aik_.name, snapshot).ok());
  }

  Bytes attest;
  Bytes signature;
  policy::PcrValues pcrs;
  Bytes nonce;

 private:
  LoadedAik aik_;
  HistoryStore history_;
};

RecordedQuote Rsa() {
  return RecordedQuote(tpm::kQuoteVectors[0]);
}
RecordedQuote Ecc() {
  return RecordedQuote(tpm::kQuoteVectors[1]);
}  // sha1:0,1+sha256:0,1,2

TEST(QuoteVerifier, AcceptsEveryRecordedQuote) {
  for (const tpm::QuoteVector& vector : tpm::kQuoteVectors) {
    SCOPED_TRACE(vector.quote);
    RecordedQuote quote(vector);
    const QuoteVerification result = quote.Verify();
    EXPECT_TRUE(result.passed);
    EXPECT_EQ(Failures(result), Strings{});
    ASSERT_EQ(result.checks.size(), 8u);
    for (const policy::CheckResult& check : result.checks)
      EXPECT_TRUE(check.passed()) << check.check << ": " << check.message;
    ASSERT_TRUE(result.facts.has_value());
    EXPECT_EQ(result.facts->quoted_pcrs, quote.pcrs);
    EXPECT_EQ(result.facts->extra_data, quote.nonce);
    EXPECT_EQ(HashAlgName(*result.facts->pcr_digest_alg), vector.hash);
    EXPECT_EQ(result.facts->clock, quote.Clock());
    EXPECT_FALSE(result.facts->qualified_signer.empty());
    EXPECT_EQ(quote.Recorded(), quote.Clock());
  }
}

TEST(QuoteVerifier, FlippedSignatureByteIsSignatureInvalidAndVerifiesNothing) {
  for (const tpm::QuoteVector& vector : tpm::kQuoteVectors) {
    SCOPED_TRACE(vector.quote);
    RecordedQuote quote(vector);
    quote.signature[quote.signature.size() / 2] ^= 0x01;
    const QuoteVerification result = quote.Verify();
    EXPECT_FALSE(result.passed);
    EXPECT_EQ(Failures(result), Strings{"signature:signature-invalid"});
    // The contents look right but are nobody's word: never "passed".
    for (std::string_view check : {policy::kCheckTpmGenerated, policy::kCheckQuoteType, policy::kCheckNonce,
                                   policy::kCheckPcrSelection, policy::kCheckPcrDigest, policy::kCheckClockHistory}) {
      EXPECT_EQ(Outcome(result, check), "skipped") << check;
    }
    EXPECT_TRUE(result.facts->quoted_pcrs.empty());
    EXPECT_EQ(quote.Recorded(), std::nullopt);
  }
}

TEST(QuoteVerifier, OtherNonceIsNonceMismatch) {
  RecordedQuote quote = Rsa();
  quote.nonce.back() ^= 0x01;
  const QuoteVerification result = quote.Verify();
  EXPECT_EQ(Failures(result), Strings{"nonce:nonce-mismatch"});
  EXPECT_EQ(Outcome(result, policy::kCheckSignature), "passed");
  EXPECT_EQ(Outcome(result, policy::kCheckPcrDigest), "passed");
  EXPECT_EQ(Outcome(result, policy::kCheckClockHistory), "skipped");
  EXPECT_EQ(quote.Recorded(), std::nullopt);

  quote.nonce.push_back(0);  // a longer nonce with the quoted one as its prefix
  quote.nonce.back() = 0;
  EXPECT_EQ(Failures(quote.Verify()), Strings{"nonce:nonce-mismatch"});
}

TEST(QuoteVerifier, ChangedPcrValueIsPcrDigestMismatch) {
  RecordedQuote quote = Ecc();
  quote.pcrs.at(HashAlg::kSha1).at(1)[0] ^= 0x80;
  const QuoteVerification result = quote.Verify();
  EXPECT_EQ(Failures(result), Strings{"pcr-digest:pcr-digest-mismatch"});
  EXPECT_TRUE(result.facts->quoted_pcrs.empty());
}

TEST(QuoteVerifier, MissingPcrValueIsPcrValuesMissing) {
  RecordedQuote quote = Ecc();
  quote.pcrs.at(HashAlg::kSha256).erase(2);
  const QuoteVerification result = quote.Verify();
  EXPECT_EQ(Failures(result), Strings{"pcr-selection:pcr-values-missing"});
  EXPECT_EQ(Outcome(result, policy::kCheckPcrDigest), "skipped");

  RecordedQuote without_bank = Ecc();
  without_bank.pcrs.erase(HashAlg::kSha1);
  EXPECT_EQ(Failures(without_bank.Verify()), Strings{"pcr-selection:pcr-values-missing"});
}

TEST(QuoteVerifier, ValueOfAnUnquotedPcrIsPcrSelectionMismatch) {
  RecordedQuote quote = Rsa();
  quote.pcrs[HashAlg::kSha256][7] = Bytes(32, 0);
  EXPECT_EQ(Failures(quote.Verify()), Strings{"pcr-selection:pcr-selection-mismatch"});

  RecordedQuote other_bank = Rsa();
  other_bank.pcrs[HashAlg::kSha1][0] = Bytes(20, 0);
  EXPECT_EQ(Failures(other_bank.Verify()), Strings{"pcr-selection:pcr-selection-mismatch"});
}

TEST(QuoteVerifier, WrongMagicIsNotTpmGenerated) {
  RecordedQuote quote = Rsa();
  quote.attest[3] ^= 0x01;  // the magic is the first field
  const QuoteVerification result = quote.Verify();
  EXPECT_EQ(Failures(result), (Strings{"signature:signature-invalid", "tpm-generated:not-tpm-generated"}));
}

TEST(QuoteVerifier, OtherAttestationTypeIsNotAQuote) {
  // A TPMS_ATTEST of TPM2_Certify, marshalled by hand: the AIK never signed it.
  RecordedQuote quote = Rsa();
  auto attest = tpm::ParseAttest(quote.attest);
  ASSERT_TRUE(attest.ok());
  TPMS_ATTEST certify = *attest;
  certify.type = TPM2_ST_ATTEST_CERTIFY;
  certify.attested.certify = {};
  certify.attested.certify.name.size = 2;
  auto marshalled = tpm::MarshalAttest(certify);
  ASSERT_TRUE(marshalled.ok());
  quote.attest = *marshalled;
  const QuoteVerification result = quote.Verify();
  EXPECT_EQ(Failures(result), (Strings{"signature:signature-invalid", "quote-type:not-a-quote"}));
  EXPECT_EQ(Outcome(result, policy::kCheckPcrSelection), "skipped");
}

TEST(QuoteVerifier, MalformedAttestIsMalformedEvidence) {
  RecordedQuote truncated = Rsa();
  truncated.attest.pop_back();
  const QuoteVerification result = truncated.Verify();
  EXPECT_EQ(Failures(result), (Strings{"attest-format:malformed-evidence", "signature:signature-invalid"}));
  EXPECT_FALSE(result.facts.has_value());
  EXPECT_EQ(Outcome(result, policy::kCheckNonce), "skipped");

  RecordedQuote inflated = Rsa();
  inflated.attest.push_back(0);
  EXPECT_EQ(Failures(inflated.Verify()), (Strings{"attest-format:malformed-evidence", "signature:signature-invalid"}));
}

TEST(QuoteVerifier, SignatureSchemesItCannotCheckAreNamed) {
  RecordedQuote hmac = Rsa();
  // TPMT_SIGNATURE with sigAlg TPM_ALG_HMAC: a TPMT_HA over SHA-256.
  hmac.signature = {0x00, 0x05, 0x00, 0x0b};
  hmac.signature.resize(4 + 32, 0x11);
  const QuoteVerification result = hmac.Verify();
  EXPECT_EQ(Failures(result), Strings{"signature:unsupported-signature-scheme"});
  EXPECT_EQ(Outcome(result, policy::kCheckPcrDigest), "skipped");

  RecordedQuote garbage = Rsa();
  garbage.signature = {0x00, 0x14, 0x00};
  EXPECT_EQ(Failures(garbage.Verify()), Strings{"signature:malformed-evidence"});
}

TEST(QuoteVerifier, AnotherKeysSignatureIsSignatureInvalid) {
  RecordedQuote quote = Rsa();
  const LoadedAik other_rsa = LoadAik(Data("tpm/akpss.pub"));
  EXPECT_EQ(Failures(quote.VerifyWith(other_rsa.aik())), Strings{"signature:signature-invalid"});
  const LoadedAik ecc = LoadAik(Data("tpm/akecc.pub"));
  EXPECT_EQ(Failures(quote.VerifyWith(ecc.aik())), Strings{"signature:signature-invalid"});
}

TEST(QuoteVerifier, ClockHistoryRefusesWhatRunsBehindTheLastQuote) {
  struct Case {
    const char* name;
    std::int64_t clock_delta, reset_delta, restart_delta;
    const char* failure;  // nullptr: passes
  };
  const Case cases[] = {
      {"clock ahead", 1, 0, 0, "clock-history:clock-went-backwards"},
      {"same snapshot", 0, 0, 0, nullptr},
      {"clock behind", -1, 0, 0, nullptr},
      {"restart ahead", -1000, 0, 1, "clock-history:restart-count-went-backwards"},
      {"reset ahead", -1000, 1, -1, "clock-history:reset-count-went-backwards"},
      {"an older reset, later clock", 1000, -1, 5, nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    RecordedQuote quote = Ecc();
    const ClockSnapshot now = quote.Clock();
    ASSERT_GT(now.reset_count, 0u);
    const ClockSnapshot earlier{
        static_cast<std::uint64_t>(static_cast<std::int64_t>(now.clock) + c.clock_delta),
        static_cast<std::uint32_t>(static_cast<std::int64_t>(now.reset_count) + c.reset_delta),
        static_cast<std::uint32_t>(static_cast<std::int64_t>(now.restart_count) + c.restart_delta)};
    quote.Record(earlier);
    const QuoteVerification result = quote.Verify();
    EXPECT_EQ(Failures(result), c.failure ? Strings{c.failure} : Strings{});
    EXPECT_EQ(result.facts->last_clock, earlier);
    EXPECT_EQ(quote.Recorded(), c.failure ? earlier : now);
  }
}

TEST(QuoteVerifier, RefusesAnEmptyOrOversizedNonceAndNoKey) {
  RecordedQuote quote = Rsa();
  HistoryStore history;
  const LoadedAik aik = LoadAik(Data("tpm/ak.pub"));
  EXPECT_FALSE(policy::VerifyQuote({quote.attest, quote.signature, quote.pcrs}, aik.aik(), {}, history.history()).ok());
  EXPECT_FALSE(
      policy::VerifyQuote({quote.attest, quote.signature, quote.pcrs}, aik.aik(), Bytes(65, 1), history.history())
          .ok());
  EXPECT_FALSE(policy::VerifyQuote({quote.attest, quote.signature, quote.pcrs}, {nullptr, aik.name}, quote.nonce,
                                   history.history())
                   .ok());
}

TEST(QuoteVerifier, ReasonNamesAreStable) {
  EXPECT_EQ(policy::ReasonCodeName(policy::ReasonCode::kSignatureInvalid), "signature-invalid");
  EXPECT_EQ(policy::ReasonCodeName(policy::ReasonCode::kNotTpmGenerated), "not-tpm-generated");
  EXPECT_EQ(policy::ReasonCodeName(policy::ReasonCode::kNotAQuote), "not-a-quote");
  EXPECT_EQ(policy::ReasonCodeName(policy::ReasonCode::kNonceMismatch), "nonce-mismatch");
  EXPECT_EQ(policy::ReasonCodeName(policy::ReasonCode::kPcrDigestMismatch), "pcr-digest-mismatch");
  EXPECT_EQ(policy::ReasonCodeName(policy::ReasonCode::kClockWentBackwards), "clock-went-backwards");
  EXPECT_EQ(policy::ReasonCodeName(policy::ReasonCode::kEventLogMismatch), "event-log-mismatch");
  EXPECT_EQ(policy::CheckOutcomeName(policy::CheckOutcome::kSkipped), "skipped");
}

// The recorded quote's PCRs came from `tpm2_pcrextend 0:sha256=aa..aa` and
// `1:sha256=cc..cc` (tests/data/tpm/README.md); a log of those two events replays
// to them, PCR 2 never touched.
policy::EventLog LogOfTheRecordedExtends(ByteView pcr1_digest) {
  EventLogBuilder builder = EventLogBuilder::CryptoAgile({{TPM2_ALG_SHA256, 32}});
  builder.AddWithDigests(0, policy::kEvPostCode, {{TPM2_ALG_SHA256, Bytes(32, 0xaa)}}, AsBytes("a"));
  builder.AddWithDigests(1, policy::kEvPostCode, {{TPM2_ALG_SHA256, Bytes(pcr1_digest.begin(), pcr1_digest.end())}},
                         AsBytes("c"));
  auto log = policy::EventLog::Parse(builder.bytes());
  EXPECT_TRUE(log.ok()) << log.error().message();
  return std::move(log).value();
}

TEST(EventLogQuoteCheck, PassesWhenTheReplayEqualsTheQuotedPcrs) {
  RecordedQuote quote = Rsa();
  const QuoteVerification result = quote.Verify();
  ASSERT_TRUE(result.passed);
  const policy::CheckResult check = policy::CheckEventLogAgainstQuote(LogOfTheRecordedExtends(Bytes(32, 0xcc)), result);
  EXPECT_TRUE(check.passed()) << check.message;
}

TEST(EventLogQuoteCheck, FailsWhenTheReplayDiffers) {
  RecordedQuote quote = Rsa();
  const QuoteVerification result = quote.Verify();
  const policy::CheckResult check = policy::CheckEventLogAgainstQuote(LogOfTheRecordedExtends(Bytes(32, 0xcd)), result);
  EXPECT_EQ(check.outcome, policy::CheckOutcome::kFailed);
  EXPECT_EQ(check.reason, policy::ReasonCode::kEventLogMismatch);
  EXPECT_NE(check.message.find("sha256 PCR 1"), std::string::npos) << check.message;
}

TEST(EventLogQuoteCheck, IsSkippedForAQuoteThatDidNotVerify) {
  RecordedQuote quote = Rsa();
  quote.nonce.back() ^= 1;
  const policy::CheckResult check =
      policy::CheckEventLogAgainstQuote(LogOfTheRecordedExtends(Bytes(32, 0xcc)), quote.Verify());
  EXPECT_EQ(check.outcome, policy::CheckOutcome::kSkipped);
}

}  // namespace
}  // namespace vtpmd::testing
