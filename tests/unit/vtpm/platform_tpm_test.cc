#include "vtpm/platform_tpm.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <tss2/tss2_mu.h>

#include <algorithm>

#include "core/openssl.h"
#include "core/pcr_selection.h"
#include "core/tpm_name.h"
#include "core/tpm_wire.h"
#include "tests/unit/vtpm/test_support.h"
#include "vtpm/swtpm_process.h"
#include "tests/support/byte_pattern.h"

namespace vtpmd::vtpm {
namespace {

using testing::RunCommand;
using testing::TempDir;

using testing::Marshal;
using testing::Name;
using testing::OpenSimulated;

TPML_PCR_SELECTION Selection(std::string_view text) {
  auto selection = tpm::ParsePcrSelectionText(text);
  EXPECT_TRUE(selection.ok()) << selection.error().message();
  return selection.ok() ? *selection : TPML_PCR_SELECTION{};
}

// Arbitrary bytes, different from those of other suites.
Bytes Pattern(std::size_t size, std::uint8_t seed) { return vtpmd::testing::Pattern(size, seed, 7); }

// Independent of core's verifier: the AIK point straight into OpenSSL.
ossl::PkeyPtr P256Key(const TPMS_ECC_POINT& point) {
  Bytes encoded = {0x04};
  encoded.insert(encoded.end(), point.x.buffer, point.x.buffer + point.x.size);
  encoded.insert(encoded.end(), point.y.buffer, point.y.buffer + point.y.size);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, encoded.data(), encoded.size());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  EXPECT_EQ(EVP_PKEY_fromdata_init(ctx.get()), 1);
  EXPECT_EQ(EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params), 1);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  return ossl::PkeyPtr(key);
}

bool VerifyEcdsaSha256(EVP_PKEY* key, ByteView message, const TPMS_SIGNATURE_ECC& sig) {
  ECDSA_SIG* ecdsa = ECDSA_SIG_new();
  ECDSA_SIG_set0(ecdsa, BN_bin2bn(sig.signatureR.buffer, sig.signatureR.size, nullptr),
                 BN_bin2bn(sig.signatureS.buffer, sig.signatureS.size, nullptr));
  unsigned char* der = nullptr;
  const int der_size = i2d_ECDSA_SIG(ecdsa, &der);
  ECDSA_SIG_free(ecdsa);
  ossl::MdCtxPtr md(EVP_MD_CTX_new());
  const bool ok =
      EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(md.get(), der, static_cast<std::size_t>(der_size), message.data(), message.size()) == 1;
  OPENSSL_free(der);
  return ok;
}

using testing::SharedPlatformTpmTest;

TEST_F(SharedPlatformTpmTest, ReportsSimulatedIdentityAndBanks) {
  EXPECT_TRUE(tpm_->simulated());
  const PlatformIdentity& id = tpm_->identity();
  EXPECT_TRUE(id.simulated);
  EXPECT_EQ(id.manufacturer, "IBM");
  EXPECT_EQ(id.manufacturer_id, 0x49424d00U);
  EXPECT_EQ(id.spec_family, "2.0");
  EXPECT_GT(id.spec_revision, 100U);
  EXPECT_FALSE(id.vendor.empty());
  EXPECT_NE(id.firmware_version, 0U);
  const auto banks = tpm_->pcr_banks();
  EXPECT_NE(std::find(banks.begin(), banks.end(), TPM2_ALG_SHA256), banks.end());
}

TEST_F(SharedPlatformTpmTest, EksFollowTcgDefaultTemplates) {
  for (const TPM2B_PUBLIC* ek : {&tpm_->ek_rsa(), &tpm_->ek_ecc()}) {
    const TPMT_PUBLIC& area = ek->publicArea;
    EXPECT_EQ(area.nameAlg, TPM2_ALG_SHA256);
    EXPECT_EQ(area.objectAttributes, 0x000300b2U);  // L-1/L-2 attributes
    EXPECT_EQ(HexEncode(ByteView(area.authPolicy.buffer, area.authPolicy.size)),
              "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");
  }
  const TPMT_PUBLIC& rsa = tpm_->ek_rsa().publicArea;
  EXPECT_EQ(rsa.type, TPM2_ALG_RSA);
  EXPECT_EQ(rsa.parameters.rsaDetail.keyBits, 2048);
  EXPECT_EQ(rsa.parameters.rsaDetail.symmetric.algorithm, TPM2_ALG_AES);
  EXPECT_EQ(rsa.parameters.rsaDetail.symmetric.mode.aes, TPM2_ALG_CFB);
  EXPECT_EQ(rsa.unique.rsa.size, 256);
  const TPMT_PUBLIC& ecc = tpm_->ek_ecc().publicArea;
  EXPECT_EQ(ecc.type, TPM2_ALG_ECC);
  EXPECT_EQ(ecc.parameters.eccDetail.curveID, TPM2_ECC_NIST_P256);
  EXPECT_EQ(ecc.unique.ecc.x.size, 32);
}

TEST_F(SharedPlatformTpmTest, AikIsRestrictedEcdsaSigningKey) {
  const TPMT_PUBLIC& aik = tpm_->aik().publicArea;
  EXPECT_EQ(aik.type, TPM2_ALG_ECC);
  EXPECT_EQ(aik.nameAlg, TPM2_ALG_SHA256);
  EXPECT_EQ(aik.objectAttributes, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                      TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT);
  EXPECT_EQ(aik.parameters.eccDetail.scheme.scheme, TPM2_ALG_ECDSA);
  EXPECT_EQ(aik.parameters.eccDetail.scheme.details.ecdsa.hashAlg, TPM2_ALG_SHA256);
  EXPECT_EQ(aik.parameters.eccDetail.curveID, TPM2_ECC_NIST_P256);
  EXPECT_EQ(aik.unique.ecc.x.size, 32);
}

TEST_F(SharedPlatformTpmTest, ReadsPcrsAcrossSeveralCommands) {
  auto pcrs = tpm_->ReadPcrs(Selection("sha256:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23"));
  ASSERT_TRUE(pcrs.ok()) << pcrs.error().message();
  ASSERT_EQ(pcrs->size(), 1U);
  EXPECT_EQ((*pcrs)[0].bank, TPM2_ALG_SHA256);
  ASSERT_EQ((*pcrs)[0].values.size(), 24U);
  for (std::uint32_t i = 0; i < 24; ++i) {
    EXPECT_EQ((*pcrs)[0].values[i].first, i);
    EXPECT_EQ((*pcrs)[0].values[i].second.size(), 32U);
  }
}

TEST_F(SharedPlatformTpmTest, RejectsSelectionOfMissingBank) {
  TPML_PCR_SELECTION selection = Selection("sha256:0");
  selection.pcrSelections[0].hash = TPM2_ALG_SM3_256;
  auto pcrs = tpm_->ReadPcrs(selection);
  ASSERT_FALSE(pcrs.ok());
  EXPECT_EQ(pcrs.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(SharedPlatformTpmTest, QuoteVerifiesWithOpenSslAndCarriesTheNonce) {
  const Bytes nonce = Pattern(32, 0x42);
  auto quote = tpm_->Quote(nonce, Selection("sha256:0,1,2,3,4,5,6,7,8,9,10"));
  ASSERT_TRUE(quote.ok()) << quote.error().message();

  auto attest = tpm::ParseAttest(quote->attest);
  ASSERT_TRUE(attest.ok()) << attest.error().message();
  EXPECT_EQ(attest->type, TPM2_ST_ATTEST_QUOTE);
  EXPECT_EQ(Bytes(attest->extraData.buffer, attest->extraData.buffer + attest->extraData.size), nonce);
  EXPECT_EQ(Bytes(attest->qualifiedSigner.name, attest->qualifiedSigner.name + attest->qualifiedSigner.size).size(),
            34U);

  auto signature = tpm::ParseSignature(quote->signature);
  ASSERT_TRUE(signature.ok()) << signature.error().message();
  ASSERT_EQ(signature->sigAlg, TPM2_ALG_ECDSA);
  ossl::PkeyPtr key = P256Key(tpm_->aik().publicArea.unique.ecc);
  ASSERT_NE(key, nullptr);
  EXPECT_TRUE(VerifyEcdsaSha256(key.get(), quote->attest, signature->signature.ecdsa));
  Bytes tampered = quote->attest;
  tampered.back() ^= 1;
  EXPECT_FALSE(VerifyEcdsaSha256(key.get(), tampered, signature->signature.ecdsa));

  // The returned PCR values are the ones the quote committed to.
  std::vector<Bytes> values;
  for (const auto& bank : quote->pcrs) {
    for (const auto& [pcr, value] : bank.values) values.push_back(value);
  }
  EXPECT_EQ(values.size(), 11U);
  auto digest = tpm::PcrDigest(HashAlg::kSha256, values);
  ASSERT_TRUE(digest.ok());
  const TPM2B_DIGEST& quoted = attest->attested.quote.pcrDigest;
  EXPECT_EQ(*digest, Bytes(quoted.buffer, quoted.buffer + quoted.size));
}

TEST_F(SharedPlatformTpmTest, QuoteRejectsOversizedQualifyingData) {
  auto quote = tpm_->Quote(Bytes(65, 1), Selection("sha256:0"));
  ASSERT_FALSE(quote.ok());
  EXPECT_EQ(quote.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(tpm_->Quote(Bytes(64, 1), Selection("sha256:0")).ok());
}

TEST_F(SharedPlatformTpmTest, NvCertificateRoundTripsAndResizes) {
  constexpr TPM2_HANDLE kIndex = 0x01c00100;
  auto absent = tpm_->ReadNv(kIndex);
  ASSERT_TRUE(absent.ok()) << absent.error().message();
  EXPECT_FALSE(absent->has_value());

  for (const Bytes& der : {Pattern(1500, 1), Pattern(700, 9), Pattern(1800, 3)}) {
    Status written = tpm_->WriteNvCertificate(kIndex, der);
    ASSERT_TRUE(written.ok()) << written.error().message();
    auto read = tpm_->ReadNv(kIndex);
    ASSERT_TRUE(read.ok()) << read.error().message();
    ASSERT_TRUE(read->has_value());
    EXPECT_EQ(**read, der);
  }
}

TEST_F(SharedPlatformTpmTest, NvRejectsNonNvHandle) {
  Status written = tpm_->WriteNvCertificate(kAikHandle, Pattern(10, 0));
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(SharedPlatformTpmTest, SealUnsealRoundTrip) {
  SecretBytes secret = SecretBytes::CopyFrom(Pattern(32, 5));
  auto blob = tpm_->Seal(secret);
  ASSERT_TRUE(blob.ok()) << blob.error().message();
  auto unsealed = tpm_->Unseal(*blob);
  ASSERT_TRUE(unsealed.ok()) << unsealed.error().message();
  EXPECT_EQ(Bytes(unsealed->view().begin(), unsealed->view().end()), Pattern(32, 5));
}

TEST_F(SharedPlatformTpmTest, SealRejectsOversizedSecret) {
  auto blob = tpm_->Seal(SecretBytes(129));
  ASSERT_FALSE(blob.ok());
  EXPECT_EQ(blob.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(SharedPlatformTpmTest, UnsealRejectsTamperedAndTrailingBytes) {
  auto blob = tpm_->Seal(SecretBytes::CopyFrom(Pattern(16, 7)));
  ASSERT_TRUE(blob.ok()) << blob.error().message();

  Bytes tampered = *blob;
  tampered[tampered.size() - 5] ^= 0x80;  // inside the encrypted private area
  auto tampered_result = tpm_->Unseal(tampered);
  ASSERT_FALSE(tampered_result.ok());
  EXPECT_EQ(tampered_result.error().code(), ErrorCode::kFailedPrecondition);

  Bytes trailing = *blob;
  trailing.push_back(0);
  auto trailing_result = tpm_->Unseal(trailing);
  ASSERT_FALSE(trailing_result.ok());
  EXPECT_EQ(trailing_result.error().code(), ErrorCode::kInvalidArgument);

  auto truncated = tpm_->Unseal(ByteView(*blob).first(blob->size() - 1));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code(), ErrorCode::kInvalidArgument);

  // The failures above left no transient object behind.
  EXPECT_TRUE(tpm_->Unseal(*blob).ok());
}

TEST(PlatformTpmTest, RestartKeepsKeysAndState) {
  TempDir dir;
  Bytes ek_rsa, ek_ecc, aik, sealed;
  {
    auto tpm = OpenSimulated(dir.path());
    ASSERT_NE(tpm, nullptr);
    ek_rsa = Name(tpm->ek_rsa());
    ek_ecc = Name(tpm->ek_ecc());
    aik = Name(tpm->aik());
    auto blob = tpm->Seal(SecretBytes::CopyFrom(Pattern(48, 3)));
    ASSERT_TRUE(blob.ok()) << blob.error().message();
    sealed = *blob;
    ASSERT_TRUE(tpm->WriteNvCertificate(kEkRsaCertIndex, Pattern(900, 4)).ok());
  }
  auto tpm = OpenSimulated(dir.path());
  ASSERT_NE(tpm, nullptr);
  EXPECT_EQ(Name(tpm->ek_rsa()), ek_rsa);
  EXPECT_EQ(Name(tpm->ek_ecc()), ek_ecc);
  EXPECT_EQ(Name(tpm->aik()), aik);
  auto unsealed = tpm->Unseal(sealed);
  ASSERT_TRUE(unsealed.ok()) << unsealed.error().message();
  EXPECT_EQ(Bytes(unsealed->view().begin(), unsealed->view().end()), Pattern(48, 3));
  auto cert = tpm->ReadNv(kEkRsaCertIndex);
  ASSERT_TRUE(cert.ok() && cert->has_value());
  EXPECT_EQ(**cert, Pattern(900, 4));
}

TEST(PlatformTpmTest, BlobFromAnotherTpmIsRefused) {
  TempDir first_dir, second_dir;
  Bytes blob;
  {
    auto first = OpenSimulated(first_dir.path());
    ASSERT_NE(first, nullptr);
    auto sealed = first->Seal(SecretBytes::CopyFrom(Pattern(32, 1)));
    ASSERT_TRUE(sealed.ok()) << sealed.error().message();
    blob = *sealed;
  }
  auto second = OpenSimulated(second_dir.path());
  ASSERT_NE(second, nullptr);
  auto unsealed = second->Unseal(blob);
  ASSERT_FALSE(unsealed.ok());
  EXPECT_EQ(unsealed.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(unsealed.error().message().find("not made by this TPM"), std::string::npos);
}

// tpm2-tools derive the EKs from the same seed with their own copy of the TCG
// templates, and read the NV certificate index the way attestation clients do.
TEST(PlatformTpmTest, Tpm2ToolsSeeTheSameEksAndCertificate) {
  TempDir dir;
  const std::filesystem::path state = dir.path() / "tpm";
  Bytes ek_rsa, ek_ecc;
  const Bytes cert = Pattern(1300, 8);
  {
    auto tpm = OpenSimulated(state);
    ASSERT_NE(tpm, nullptr);
    ek_rsa = Marshal(tpm->ek_rsa());
    ek_ecc = Marshal(tpm->ek_ecc());
    ASSERT_TRUE(tpm->WriteNvCertificate(kEkRsaCertIndex, cert).ok());
  }
  auto swtpm = testing::StartSwtpmOn(state);
  ASSERT_NE(swtpm, nullptr);
  const std::string tcti = " -T " + swtpm->tcti();
  const std::filesystem::path out = dir.path();
  std::string log;
  ASSERT_EQ(RunCommand("tpm2_createek" + tcti + " -G rsa -c " + (out / "rsa.ctx").string() + " -u " +
                           (out / "rsa.pub").string(),
                       &log),
            0)
      << log;
  ASSERT_EQ(RunCommand("tpm2_flushcontext" + tcti + " -t", &log), 0) << log;
  ASSERT_EQ(RunCommand("tpm2_createek" + tcti + " -G ecc -c " + (out / "ecc.ctx").string() + " -u " +
                           (out / "ecc.pub").string(),
                       &log),
            0)
      << log;
  ASSERT_EQ(RunCommand("tpm2_flushcontext" + tcti + " -t", &log), 0) << log;
  EXPECT_EQ(testing::ReadFileBytes(out / "rsa.pub"), ek_rsa);
  EXPECT_EQ(testing::ReadFileBytes(out / "ecc.pub"), ek_ecc);

  ASSERT_EQ(RunCommand("tpm2_nvread" + tcti + " -o " + (out / "cert.der").string() + " 0x01c00002", &log), 0) << log;
  EXPECT_EQ(testing::ReadFileBytes(out / "cert.der"), cert);
}

TEST(PlatformTpmTest, ForeignKeyAtAikHandleIsAnError) {
  TempDir dir;
  const std::filesystem::path state = dir.path() / "tpm";
  { ASSERT_NE(OpenSimulated(state), nullptr); }
  {
    auto swtpm = testing::StartSwtpmOn(state);
    ASSERT_NE(swtpm, nullptr);
    const std::string tcti = " -T " + swtpm->tcti();
    const std::string ctx = (dir.path() / "other.ctx").string();
    std::string log;
    ASSERT_EQ(RunCommand("tpm2_evictcontrol" + tcti + " -c 0x81010010", &log), 0) << log;
    ASSERT_EQ(RunCommand("tpm2_createprimary" + tcti + " -C o -G ecc -c " + ctx, &log), 0) << log;
    ASSERT_EQ(RunCommand("tpm2_evictcontrol" + tcti + " -c " + ctx + " 0x81010010", &log), 0) << log;
  }
  auto tpm = PlatformTpm::Open({.tcti = kSimulatedTcti, .runtime_dir = state});
  ASSERT_FALSE(tpm.ok());
  EXPECT_EQ(tpm.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(tpm.error().message().find("0x81010010"), std::string::npos);
}

TEST(PlatformTpmTest, UnreachableTpmIsUnavailable) {
  auto tpm = PlatformTpm::Open({.tcti = "swtpm:path=/nonexistent/swtpm.sock", .runtime_dir = {}});
  ASSERT_FALSE(tpm.ok());
  EXPECT_EQ(tpm.error().code(), ErrorCode::kUnavailable) << tpm.error().message();
}

TEST(PlatformTpmTest, SimulatedNeedsRuntimeDirectory) {
  auto tpm = PlatformTpm::Open({.tcti = kSimulatedTcti, .runtime_dir = {}});
  ASSERT_FALSE(tpm.ok());
  EXPECT_EQ(tpm.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace vtpmd::vtpm
