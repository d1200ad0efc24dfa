#include "core/tpm_wire.h"

#include <gtest/gtest.h>

#include "tests/support/test_data.h"
#include "tests/unit/core/tpm_vectors.h"

namespace vtpmd::tpm {
namespace {

Bytes Load(const std::string& name) {
  auto data = testing::ReadTestData("tpm/" + name);
  EXPECT_TRUE(data.ok()) << name;
  return data.ok() ? *data : Bytes{};
}

// Every strict prefix and the input plus one trailing byte must be refused.
template <typename Parse>
void ExpectTruncationsAndTrailingByteRejected(const Bytes& good, Parse parse) {
  ASSERT_TRUE(parse(good).ok());
  for (std::size_t size = 0; size < good.size(); ++size) {
    EXPECT_FALSE(parse(ByteView(good).first(size)).ok()) << "prefix of " << size << " bytes accepted";
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(parse(trailing).ok());
}

TEST(TpmPublic, ParsesEndorsementKey) {
  auto ek = ParsePublic(Load("ek.pub"));
  ASSERT_TRUE(ek.ok()) << ek.error().message();
  EXPECT_EQ(ek->publicArea.type, TPM2_ALG_RSA);
  EXPECT_EQ(ek->publicArea.nameAlg, TPM2_ALG_SHA256);
  EXPECT_EQ(ek->publicArea.parameters.rsaDetail.keyBits, 2048);
  EXPECT_EQ(ek->publicArea.unique.rsa.size, 256);
  // The TCG default EK is a restricted decryption key under the endorsement policy.
  EXPECT_NE(ek->publicArea.objectAttributes & TPMA_OBJECT_RESTRICTED, 0u);
  EXPECT_NE(ek->publicArea.objectAttributes & TPMA_OBJECT_DECRYPT, 0u);
  EXPECT_EQ(ek->publicArea.authPolicy.size, 32);
}

TEST(TpmPublic, ParsesAttestationKeys) {
  auto rsa = ParsePublic(Load("ak.pub"));
  ASSERT_TRUE(rsa.ok()) << rsa.error().message();
  EXPECT_EQ(rsa->publicArea.type, TPM2_ALG_RSA);
  EXPECT_NE(rsa->publicArea.objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT, 0u);
  EXPECT_EQ(rsa->publicArea.parameters.rsaDetail.scheme.scheme, TPM2_ALG_RSASSA);

  auto ecc = ParsePublic(Load("akecc.pub"));
  ASSERT_TRUE(ecc.ok()) << ecc.error().message();
  EXPECT_EQ(ecc->publicArea.type, TPM2_ALG_ECC);
  EXPECT_EQ(ecc->publicArea.parameters.eccDetail.curveID, TPM2_ECC_NIST_P256);
  EXPECT_EQ(ecc->publicArea.unique.ecc.x.size, 32);
}

TEST(TpmPublic, MarshalRoundTripsExactly) {
  for (const char* file : {"ek.pub", "ak.pub", "akecc.pub", "akpss.pub", "akp384.pub"}) {
    const Bytes original = Load(file);
    auto parsed = ParsePublic(original);
    ASSERT_TRUE(parsed.ok()) << file;
    auto marshalled = MarshalPublic(*parsed);
    ASSERT_TRUE(marshalled.ok()) << file;
    EXPECT_EQ(*marshalled, original) << file;

    auto area = ParsePublicArea(ByteView(original).subspan(2));
    ASSERT_TRUE(area.ok()) << file;
    auto area_bytes = MarshalPublicArea(*area);
    ASSERT_TRUE(area_bytes.ok());
    EXPECT_EQ(*area_bytes, Bytes(original.begin() + 2, original.end())) << file;
  }
}

TEST(TpmPublic, RejectsTruncationAndTrailingBytes) {
  for (const char* file : {"ek.pub", "akecc.pub"}) {
    ExpectTruncationsAndTrailingByteRejected(Load(file), [](ByteView b) { return ParsePublic(b); });
    const Bytes pub = Load(file);
    ExpectTruncationsAndTrailingByteRejected(Bytes(pub.begin() + 2, pub.end()),
                                             [](ByteView b) { return ParsePublicArea(b); });
  }
}

TEST(TpmPublic, RejectsInnerSizeMismatch) {
  Bytes pub = Load("akecc.pub");
  // Claims one byte fewer than the area, leaving the last byte outside the TPM2B.
  pub[1] = static_cast<std::uint8_t>(pub[1] - 1);
  EXPECT_FALSE(ParsePublic(pub).ok());
  // Claims one byte more, with a padding byte: the area does not fill the TPM2B.
  pub[1] = static_cast<std::uint8_t>(pub[1] + 2);
  pub.push_back(0);
  EXPECT_FALSE(ParsePublic(pub).ok());
}

TEST(TpmPublic, RejectsEmptyUnknownTypeAndUnknownNameAlg) {
  EXPECT_FALSE(ParsePublic(Bytes{0x00, 0x00}).ok());

  Bytes unknown_type = Load("akecc.pub");
  unknown_type[2] = 0x00;
  unknown_type[3] = 0x10;  // TPM2_ALG_NULL as an object type
  EXPECT_FALSE(ParsePublic(unknown_type).ok());

  Bytes unknown_name_alg = Load("akecc.pub");
  unknown_name_alg[4] = 0x00;
  unknown_name_alg[5] = 0x12;  // TPM2_ALG_SM3_256
  EXPECT_FALSE(ParsePublic(unknown_name_alg).ok());
}

TEST(TpmAttest, ParsesQuote) {
  auto attest = ParseAttest(Load("quote.msg"));
  ASSERT_TRUE(attest.ok()) << attest.error().message();
  EXPECT_EQ(attest->magic, TPM2_GENERATED_VALUE);
  EXPECT_EQ(attest->type, TPM2_ST_ATTEST_QUOTE);
  EXPECT_EQ(HexEncode(ByteView(attest->extraData.buffer, attest->extraData.size)), "0011223344556677");
  EXPECT_EQ(attest->attested.quote.pcrSelect.count, 1u);
  EXPECT_EQ(attest->attested.quote.pcrSelect.pcrSelections[0].hash, TPM2_ALG_SHA256);
  EXPECT_EQ(attest->attested.quote.pcrDigest.size, 32);
}

TEST(TpmAttest, MarshalRoundTripsAndRejectsBadLengths) {
  for (const auto& vector : kQuoteVectors) {
    const Bytes original = Load(vector.quote + ".msg");
    auto attest = ParseAttest(original);
    ASSERT_TRUE(attest.ok()) << vector.quote;
    auto marshalled = MarshalAttest(*attest);
    ASSERT_TRUE(marshalled.ok());
    EXPECT_EQ(*marshalled, original) << vector.quote;
  }
  ExpectTruncationsAndTrailingByteRejected(Load("quote.msg"), [](ByteView b) { return ParseAttest(b); });
}

TEST(TpmAttest, RejectsWrongMagicAndUnknownType) {
  Bytes wrong_magic = Load("quote.msg");
  wrong_magic[0] ^= 0x01;
  EXPECT_FALSE(ParseAttest(wrong_magic).ok());

  Bytes unknown_type = Load("quote.msg");
  unknown_type[4] = 0x80;
  unknown_type[5] = 0x20;
  EXPECT_FALSE(ParseAttest(unknown_type).ok());
}

TEST(TpmSignature, ParsesEachSchemeAndRoundTrips) {
  const std::pair<const char*, TPM2_ALG_ID> expected[] = {
      {"quote.sig", TPM2_ALG_RSASSA}, {"quote_ecc.sig", TPM2_ALG_ECDSA},
      {"quote_pss.sig", TPM2_ALG_RSAPSS}, {"quote_p384.sig", TPM2_ALG_ECDSA}};
  for (const auto& [file, scheme] : expected) {
    const Bytes original = Load(file);
    auto signature = ParseSignature(original);
    ASSERT_TRUE(signature.ok()) << file;
    EXPECT_EQ(signature->sigAlg, scheme) << file;
    auto marshalled = MarshalSignature(*signature);
    ASSERT_TRUE(marshalled.ok());
    EXPECT_EQ(*marshalled, original) << file;
    ExpectTruncationsAndTrailingByteRejected(original, [](ByteView b) { return ParseSignature(b); });
  }
  auto p384 = ParseSignature(Load("quote_p384.sig"));
  ASSERT_TRUE(p384.ok());
  EXPECT_EQ(*SignatureHashAlg(*p384), HashAlg::kSha384);
}

TEST(TpmSignature, RejectsOtherSchemesAndHashes) {
  // TPMT_SIGNATURE with sigAlg HMAC and a SHA-256 TPMT_HA.
  Bytes hmac = {0x00, 0x05, 0x00, 0x0b};
  hmac.resize(hmac.size() + 32, 0xab);
  EXPECT_EQ(ParseSignature(hmac).error().code(), ErrorCode::kUnsupported);

  Bytes sm3 = Load("quote_ecc.sig");
  sm3[2] = 0x00;
  sm3[3] = 0x12;  // TPM2_ALG_SM3_256
  EXPECT_FALSE(ParseSignature(sm3).ok());
}

}  // namespace
}  // namespace vtpmd::tpm
