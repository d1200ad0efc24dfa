#include "core/tpm_signature.h"

#include <gtest/gtest.h>

#include "core/tpm_keys.h"
#include "core/tpm_wire.h"
#include "tests/support/test_data.h"
#include "tests/unit/core/tpm_vectors.h"

namespace vtpmd::tpm {
namespace {

struct LoadedQuote {
  ossl::PkeyPtr key;
  Bytes message;
  TPMT_SIGNATURE signature{};
};

LoadedQuote Load(const QuoteVector& vector) {
  LoadedQuote out;
  auto pub_bytes = testing::ReadTestData("tpm/" + vector.key + ".pub");
  auto message = testing::ReadTestData("tpm/" + vector.quote + ".msg");
  auto sig_bytes = testing::ReadTestData("tpm/" + vector.quote + ".sig");
  EXPECT_TRUE(pub_bytes.ok() && message.ok() && sig_bytes.ok()) << vector.quote;
  if (!pub_bytes.ok() || !message.ok() || !sig_bytes.ok()) return out;
  auto pub = ParsePublic(*pub_bytes);
  auto signature = ParseSignature(*sig_bytes);
  EXPECT_TRUE(pub.ok() && signature.ok()) << vector.quote;
  if (!pub.ok() || !signature.ok()) return out;
  auto key = PublicKeyFromTpm(pub->publicArea);
  EXPECT_TRUE(key.ok()) << vector.quote;
  if (key.ok()) out.key = std::move(*key);
  out.message = *message;
  out.signature = *signature;
  return out;
}

TEST(TpmSignatureVerify, AcceptsRealQuotes) {
  for (const QuoteVector& vector : kQuoteVectors) {
    LoadedQuote quote = Load(vector);
    ASSERT_TRUE(quote.key) << vector.quote;
    Status verified = VerifyTpmSignature(quote.key.get(), quote.message, quote.signature);
    EXPECT_TRUE(verified.ok()) << vector.quote << ": " << (verified.ok() ? "" : verified.error().message());
  }
}

TEST(TpmSignatureVerify, RejectsAFlippedMessageBit) {
  for (const QuoteVector& vector : kQuoteVectors) {
    LoadedQuote quote = Load(vector);
    ASSERT_TRUE(quote.key);
    quote.message[quote.message.size() - 1] ^= 0x01;
    Status verified = VerifyTpmSignature(quote.key.get(), quote.message, quote.signature);
    ASSERT_FALSE(verified.ok()) << vector.quote;
    EXPECT_EQ(verified.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(TpmSignatureVerify, RejectsAFlippedSignatureBit) {
  for (const QuoteVector& vector : kQuoteVectors) {
    LoadedQuote quote = Load(vector);
    ASSERT_TRUE(quote.key);
    TPMT_SIGNATURE& sig = quote.signature;
    switch (sig.sigAlg) {
      case TPM2_ALG_RSASSA: sig.signature.rsassa.sig.buffer[17] ^= 0x04; break;
      case TPM2_ALG_RSAPSS: sig.signature.rsapss.sig.buffer[17] ^= 0x04; break;
      default: sig.signature.ecdsa.signatureS.buffer[5] ^= 0x04; break;
    }
    EXPECT_FALSE(VerifyTpmSignature(quote.key.get(), quote.message, sig).ok()) << vector.quote;
  }
}

TEST(TpmSignatureVerify, RejectsTheWrongKeyAndTheWrongHash) {
  LoadedQuote rsa = Load(kQuoteVectors[0]);
  LoadedQuote pss = Load(kQuoteVectors[2]);
  LoadedQuote ecc = Load(kQuoteVectors[1]);
  ASSERT_TRUE(rsa.key && pss.key && ecc.key);
  // Another RSA key, and a key of the other type.
  EXPECT_FALSE(VerifyTpmSignature(pss.key.get(), rsa.message, rsa.signature).ok());
  EXPECT_FALSE(VerifyTpmSignature(ecc.key.get(), rsa.message, rsa.signature).ok());
  EXPECT_FALSE(VerifyTpmSignature(rsa.key.get(), ecc.message, ecc.signature).ok());
  // The same signature claimed over another hash.
  rsa.signature.signature.rsassa.hash = TPM2_ALG_SHA384;
  EXPECT_FALSE(VerifyTpmSignature(rsa.key.get(), rsa.message, rsa.signature).ok());
  // PKCS#1 v1.5 bytes presented as PSS.
  LoadedQuote as_pss = Load(kQuoteVectors[0]);
  as_pss.signature.sigAlg = TPM2_ALG_RSAPSS;
  EXPECT_FALSE(VerifyTpmSignature(as_pss.key.get(), as_pss.message, as_pss.signature).ok());
}

TEST(TpmSignatureVerify, RejectsUnsupportedSchemes) {
  LoadedQuote rsa = Load(kQuoteVectors[0]);
  ASSERT_TRUE(rsa.key);
  TPMT_SIGNATURE hmac{};
  hmac.sigAlg = TPM2_ALG_HMAC;
  hmac.signature.hmac.hashAlg = TPM2_ALG_SHA256;
  EXPECT_EQ(VerifyTpmSignature(rsa.key.get(), rsa.message, hmac).error().code(), ErrorCode::kUnsupported);
}

// What an X.509 signatureValue holds: plain EVP verifies it with no TPM knowledge.
TEST(EcdsaSignatureDer, VerifiesWithPlainEvpAndRefusesRsa) {
  LoadedQuote ecc = Load(kQuoteVectors[1]);
  ASSERT_TRUE(ecc.key);
  auto der = EcdsaSignatureDer(ecc.signature);
  ASSERT_TRUE(der.ok()) << der.error().message();
  EXPECT_EQ((*der)[0], 0x30);  // SEQUENCE { r INTEGER, s INTEGER }
  ossl::MdCtxPtr md(EVP_MD_CTX_new());
  ASSERT_EQ(EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, ecc.key.get()), 1);
  EXPECT_EQ(EVP_DigestVerify(md.get(), der->data(), der->size(), ecc.message.data(), ecc.message.size()), 1);

  LoadedQuote rsa = Load(kQuoteVectors[0]);
  auto refused = EcdsaSignatureDer(rsa.signature);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace vtpmd::tpm
