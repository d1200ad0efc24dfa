// The platform TPM's host signing key ("aik-certifies-aik"): a restricted key
// that the platform AIK certifies and that signs arbitrary data only through
// the TPM's hash-check ticket.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "core/openssl.h"
#include "core/tpm_keys.h"
#include "core/tpm_name.h"
#include "core/tpm_signature.h"
#include "core/tpm_wire.h"
#include "tests/unit/vtpm/test_support.h"
#include "vtpm/platform_tpm.h"
#include "vtpm/swtpm_process.h"
#include "tests/support/byte_pattern.h"

namespace vtpmd::vtpm {
namespace {

using testing::RunCommand;
using testing::TempDir;

using testing::Marshal;
using testing::Name;
using testing::OpenSimulated;

// Arbitrary bytes, different from those of other suites.
Bytes Pattern(std::size_t size, std::uint8_t seed) { return vtpmd::testing::Pattern(size, seed, 13); }

ossl::PkeyPtr KeyOf(const TPM2B_PUBLIC& pub) {
  auto key = tpm::PublicKeyFromTpm(pub.publicArea);
  EXPECT_TRUE(key.ok()) << key.error().message();
  return key.ok() ? std::move(*key) : nullptr;
}

// The X.509 encoding of a marshalled TPMT_SIGNATURE.
Bytes DerSignature(ByteView marshalled) {
  auto signature = tpm::ParseSignature(marshalled);
  EXPECT_TRUE(signature.ok()) << signature.error().message();
  if (!signature.ok()) return {};
  EXPECT_EQ(signature->sigAlg, TPM2_ALG_ECDSA);
  EXPECT_EQ(signature->signature.ecdsa.hash, TPM2_ALG_SHA256);
  auto der = tpm::EcdsaSignatureDer(*signature);
  EXPECT_TRUE(der.ok()) << der.error().message();
  return der.ok() ? *der : Bytes{};
}

// Plain OpenSSL, as a certificate verifier sees it: SHA-256 over the message.
bool VerifiesWithEvp(EVP_PKEY* key, ByteView message, ByteView der) {
  ossl::MdCtxPtr md(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(md.get(), der.data(), der.size(), message.data(), message.size()) == 1;
}

class HostSigningKeyTest : public testing::SharedPlatformTpmTest {};

TEST_F(HostSigningKeyTest, IsARestrictedEcdsaSigningKeyApartFromTheAik) {
  const TPMT_PUBLIC& key = tpm_->host_signing_key().publicArea;
  EXPECT_EQ(key.type, TPM2_ALG_ECC);
  EXPECT_EQ(key.nameAlg, TPM2_ALG_SHA256);
  EXPECT_EQ(key.objectAttributes, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                      TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT);
  EXPECT_EQ(key.objectAttributes & TPMA_OBJECT_DECRYPT, 0U);
  EXPECT_EQ(key.parameters.eccDetail.symmetric.algorithm, TPM2_ALG_NULL);
  EXPECT_EQ(key.parameters.eccDetail.scheme.scheme, TPM2_ALG_ECDSA);
  EXPECT_EQ(key.parameters.eccDetail.scheme.details.ecdsa.hashAlg, TPM2_ALG_SHA256);
  EXPECT_EQ(key.parameters.eccDetail.curveID, TPM2_ECC_NIST_P256);
  EXPECT_EQ(key.unique.ecc.x.size, 32);
  EXPECT_NE(Name(tpm_->host_signing_key()), Name(tpm_->aik()));
}

TEST_F(HostSigningKeyTest, AikCertifiesTheHostKey) {
  const Bytes nonce = Pattern(32, 0x5c);
  auto certified = tpm_->CertifyHostSigningKey(nonce);
  ASSERT_TRUE(certified.ok()) << certified.error().message();

  auto attest = tpm::ParseAttest(certified->attest);
  ASSERT_TRUE(attest.ok()) << attest.error().message();
  EXPECT_EQ(attest->magic, TPM2_GENERATED_VALUE);
  EXPECT_EQ(attest->type, TPM2_ST_ATTEST_CERTIFY);
  const TPM2B_NAME& name = attest->attested.certify.name;
  EXPECT_EQ(Bytes(name.name, name.name + name.size), Name(tpm_->host_signing_key()));
  EXPECT_EQ(Bytes(attest->extraData.buffer, attest->extraData.buffer + attest->extraData.size), nonce);

  auto signature = tpm::ParseSignature(certified->signature);
  ASSERT_TRUE(signature.ok()) << signature.error().message();
  ossl::PkeyPtr aik = KeyOf(tpm_->aik());
  ASSERT_NE(aik, nullptr);
  Status verified = tpm::VerifyTpmSignature(aik.get(), certified->attest, *signature);
  EXPECT_TRUE(verified.ok()) << verified.error().message();
  // Signed by the AIK, not by the key it certifies.
  ossl::PkeyPtr host = KeyOf(tpm_->host_signing_key());
  EXPECT_FALSE(tpm::VerifyTpmSignature(host.get(), certified->attest, *signature).ok());
  Bytes tampered = certified->attest;
  tampered.back() ^= 1;
  EXPECT_FALSE(tpm::VerifyTpmSignature(aik.get(), tampered, *signature).ok());
}

TEST_F(HostSigningKeyTest, CertifyTakesEmptyAndRefusesOversizedQualifyingData) {
  auto empty = tpm_->CertifyHostSigningKey({});
  ASSERT_TRUE(empty.ok()) << empty.error().message();
  auto too_long = tpm_->CertifyHostSigningKey(Bytes(65, 1));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(tpm_->CertifyHostSigningKey(Bytes(64, 1)).ok());
}

TEST_F(HostSigningKeyTest, SignatureOverSeveralSequenceChunksVerifiesWithOpenSsl) {
  const Bytes message = Pattern(3000, 0x11);  // 1024 + 1024 + 952
  auto signature = tpm_->SignWithHostKey(message);
  ASSERT_TRUE(signature.ok()) << signature.error().message();
  const Bytes der = DerSignature(*signature);
  ossl::PkeyPtr host = KeyOf(tpm_->host_signing_key());
  ASSERT_NE(host, nullptr);
  EXPECT_TRUE(VerifiesWithEvp(host.get(), message, der));

  Bytes tampered = message;
  tampered[2500] ^= 0x20;  // in the last chunk
  EXPECT_FALSE(VerifiesWithEvp(host.get(), tampered, der));
  ossl::PkeyPtr aik = KeyOf(tpm_->aik());
  EXPECT_FALSE(VerifiesWithEvp(aik.get(), message, der));
}

TEST_F(HostSigningKeyTest, SignsMessagesAtChunkBoundaries) {
  ossl::PkeyPtr host = KeyOf(tpm_->host_signing_key());
  ASSERT_NE(host, nullptr);
  for (std::size_t size : {4U, 5U, 1023U, 1024U, 1025U, 2048U, 2049U, 5000U}) {
    const Bytes message = Pattern(size, static_cast<std::uint8_t>(size));
    auto signature = tpm_->SignWithHostKey(message);
    ASSERT_TRUE(signature.ok()) << size << ": " << signature.error().message();
    EXPECT_TRUE(VerifiesWithEvp(host.get(), message, DerSignature(*signature))) << size;
  }
}

TEST_F(HostSigningKeyTest, SignatureVerifiesWithOpenSslCli) {
  const Bytes message = Pattern(1500, 0x77);
  auto signature = tpm_->SignWithHostKey(message);
  ASSERT_TRUE(signature.ok()) << signature.error().message();
  ossl::PkeyPtr host = KeyOf(tpm_->host_signing_key());
  ASSERT_NE(host, nullptr);
  auto pem = ossl::PublicKeyPem(host.get());
  ASSERT_TRUE(pem.ok()) << pem.error().message();

  TempDir dir;
  const std::filesystem::path key = dir.path() / "host.pem";
  const std::filesystem::path data = dir.path() / "message.bin";
  const std::filesystem::path sig = dir.path() / "message.sig";
  testing::WriteFileBytes(key, AsBytes(*pem));
  testing::WriteFileBytes(data, message);
  testing::WriteFileBytes(sig, DerSignature(*signature));
  std::string log;
  EXPECT_EQ(RunCommand("openssl dgst -sha256 -verify " + key.string() + " -signature " + sig.string() + " " +
                           data.string(),
                       &log),
            0)
      << log;
  EXPECT_NE(log.find("Verified OK"), std::string::npos) << log;
}

TEST_F(HostSigningKeyTest, RefusesWhatTheTpmWouldNotTicket) {
  Bytes generated = Pattern(3000, 3);
  generated[0] = 0xff;
  generated[1] = 0x54;
  generated[2] = 0x43;
  generated[3] = 0x47;
  for (const Bytes& message : {generated, Bytes(generated.begin(), generated.begin() + 4), Bytes{}, Bytes{1, 2, 3}}) {
    auto signature = tpm_->SignWithHostKey(message);
    ASSERT_FALSE(signature.ok()) << message.size();
    EXPECT_EQ(signature.error().code(), ErrorCode::kInvalidArgument);
  }
  auto refused = tpm_->SignWithHostKey(generated);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("TPM_GENERATED_VALUE"), std::string::npos) << refused.error().message();

  // The marker only counts at the very start.
  Bytes nearly = generated;
  nearly[3] = 0x46;
  EXPECT_TRUE(tpm_->SignWithHostKey(nearly).ok());
  Bytes later = Pattern(3000, 3);
  std::copy(generated.begin(), generated.begin() + 4, later.begin() + 1024);
  EXPECT_TRUE(tpm_->SignWithHostKey(later).ok());
}

// Not an assertion: the cost per certificate the host key issues. Twenty calls
// in a row also show that no sequence object is left occupying a TPM slot.
TEST_F(HostSigningKeyTest, MeasuresSigningCost) {
  constexpr int kCalls = 20;
  for (std::size_t size : {1000U, 3000U}) {
    const Bytes message = Pattern(size, 9);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i) {
      auto signature = tpm_->SignWithHostKey(message);
      ASSERT_TRUE(signature.ok()) << signature.error().message();
    }
    const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
    std::printf("[   INFO   ] SignWithHostKey on the simulated TPM, %zu-byte message: %.2f ms per signature (%d calls)\n",
                size, elapsed.count() / kCalls, kCalls);
  }
}

TEST(HostSigningKeyRestartTest, SurvivesReopeningWithTheSamePublicArea) {
  TempDir dir;
  Bytes public_area;
  {
    auto tpm = OpenSimulated(dir.path());
    ASSERT_NE(tpm, nullptr);
    public_area = Marshal(tpm->host_signing_key());
  }
  auto tpm = OpenSimulated(dir.path());
  ASSERT_NE(tpm, nullptr);
  EXPECT_EQ(Marshal(tpm->host_signing_key()), public_area);
  const Bytes message = Pattern(600, 1);
  auto signature = tpm->SignWithHostKey(message);
  ASSERT_TRUE(signature.ok()) << signature.error().message();
  auto reparsed = tpm::ParsePublic(public_area);
  ASSERT_TRUE(reparsed.ok());
  ossl::PkeyPtr key = KeyOf(*reparsed);
  EXPECT_TRUE(VerifiesWithEvp(key.get(), message, DerSignature(*signature)));
}

// A primary from a fixed template is a function of the endorsement seed: losing
// the persistent copy loses nothing, the next open derives the same key.
TEST(HostSigningKeyRestartTest, EvictedKeyIsDerivedAgainIdentically) {
  TempDir dir;
  const std::filesystem::path state = dir.path() / "tpm";
  Bytes public_area;
  {
    auto tpm = OpenSimulated(state);
    ASSERT_NE(tpm, nullptr);
    public_area = Marshal(tpm->host_signing_key());
  }
  {
    auto swtpm = testing::StartSwtpmOn(state);
    ASSERT_NE(swtpm, nullptr);
    std::string log;
    ASSERT_EQ(RunCommand("tpm2_evictcontrol -T " + swtpm->tcti() + " -c 0x81010011", &log), 0) << log;
  }
  auto tpm = OpenSimulated(state);
  ASSERT_NE(tpm, nullptr);
  EXPECT_EQ(Marshal(tpm->host_signing_key()), public_area);
}

// The TPM's own enforcement, without vtpmd's pre-check: a digest it did not
// compute (so comes with no ticket) is refused by the persisted host key.
TEST(HostSigningKeyRestartTest, TpmRefusesToSignAnUnticketedDigest) {
  TempDir dir;
  const std::filesystem::path state = dir.path() / "tpm";
  { ASSERT_NE(OpenSimulated(state), nullptr); }
  auto swtpm = testing::StartSwtpmOn(state);
  ASSERT_NE(swtpm, nullptr);
  const std::string tcti = " -T " + swtpm->tcti();
  const std::filesystem::path digest = dir.path() / "digest.bin";
  testing::WriteFileBytes(digest, Pattern(32, 4));
  const std::string sign = "tpm2_sign" + tcti + " -c 0x81010011 -g sha256 -s ecdsa -d -o " +
                           (dir.path() / "sig.bin").string() + " " + digest.string();
  std::string log;
  EXPECT_NE(RunCommand(sign, &log), 0) << log;
  EXPECT_NE(log.find("invalid ticket"), std::string::npos) << log;  // TPM_RC_TICKET
}

TEST(HostSigningKeyRestartTest, AikPersistedAtTheHostKeyHandleIsAnError) {
  TempDir dir;
  const std::filesystem::path state = dir.path() / "tpm";
  { ASSERT_NE(OpenSimulated(state), nullptr); }
  {
    auto swtpm = testing::StartSwtpmOn(state);
    ASSERT_NE(swtpm, nullptr);
    const std::string tcti = " -T " + swtpm->tcti();
    std::string log;
    ASSERT_EQ(RunCommand("tpm2_evictcontrol" + tcti + " -c 0x81010011", &log), 0) << log;
    // The AIK's template with an empty unique: the very same key as the AIK.
    const std::string ctx = (dir.path() / "aik.ctx").string();
    ASSERT_EQ(RunCommand("tpm2_createprimary" + tcti +
                             " -C e -G ecc256:ecdsa-sha256:null -g sha256 -a "
                             "'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign' -c " +
                             ctx,
                         &log),
              0)
        << log;
    ASSERT_EQ(RunCommand("tpm2_evictcontrol" + tcti + " -c " + ctx + " 0x81010011", &log), 0) << log;
  }
  auto tpm = PlatformTpm::Open({.tcti = kSimulatedTcti, .runtime_dir = state});
  ASSERT_FALSE(tpm.ok());
  EXPECT_EQ(tpm.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(tpm.error().message().find("holds the platform AIK"), std::string::npos) << tpm.error().message();
}

}  // namespace
}  // namespace vtpmd::vtpm
