#include "ca/jws_signer.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <boost/json.hpp>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "ca/jwk.h"
#include "jws_test_support.h"

namespace vtpmd::ca {
namespace {

using testing::kEarPayload;
using testing::MakeSigner;
using testing::MakeSignerChain;
using testing::OpensslVerifies;
using testing::SignerChain;
using testing::SplitCompact;

// A struct so that gtest prints the parameter by name (PrintTo through ADL).
struct SignerCase {
  KeyAlgorithm algorithm;
};
void PrintTo(const SignerCase& signer_case, std::ostream* out) { *out << KeyAlgorithmName(signer_case.algorithm); }

constexpr SignerCase kAllAlgorithms[] = {{KeyAlgorithm::kEcdsaP256}, {KeyAlgorithm::kEcdsaP384},
                                         {KeyAlgorithm::kRsa3072}};

std::string_view ExpectedAlg(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::kEcdsaP256: return "ES256";
    case KeyAlgorithm::kEcdsaP384: return "ES384";
    case KeyAlgorithm::kRsa3072: return "PS256";
  }
  return "";
}

std::string Str(const boost::json::value& value) { return std::string(value.as_string()); }

Bytes DecodeMember(const boost::json::object& jwk, const char* name) {
  Result<Bytes> decoded = Base64UrlDecode(Str(jwk.at(name)));
  EXPECT_TRUE(decoded.ok()) << name;
  return decoded.ok() ? std::move(decoded).value() : Bytes{};
}

boost::json::object OnlyJwk(const JwsSigner& signer) {
  boost::json::error_code ec;
  boost::json::value jwks = boost::json::parse(signer.JwksJson(), ec);
  EXPECT_FALSE(ec) << signer.JwksJson();
  if (ec || !jwks.is_object() || !jwks.as_object().contains("keys")) return {};
  const boost::json::array& keys = jwks.at("keys").as_array();
  EXPECT_EQ(keys.size(), 1u);
  return keys.empty() ? boost::json::object{} : keys.front().as_object();
}

// RFC 7638 §3.2, written out independently of ca/jwk.cc.
std::string Thumbprint(const boost::json::object& jwk) {
  std::string canonical;
  if (Str(jwk.at("kty")) == "EC") {
    canonical = R"({"crv":")" + Str(jwk.at("crv")) + R"(","kty":"EC","x":")" + Str(jwk.at("x")) + R"(","y":")" +
                Str(jwk.at("y")) + R"("})";
  } else {
    canonical = R"({"e":")" + Str(jwk.at("e")) + R"(","kty":"RSA","n":")" + Str(jwk.at("n")) + R"("})";
  }
  std::uint8_t digest[32];
  EVP_Digest(canonical.data(), canonical.size(), digest, nullptr, EVP_sha256(), nullptr);
  return Base64UrlEncode(digest);
}

// A public key of `type` ("RSA", "EC") from the parameters `builder` holds.
ossl::PkeyPtr PublicKeyFromParams(const char* type, OSSL_PARAM_BLD* builder) {
  ossl::Owned<OSSL_PARAM, OSSL_PARAM_free> params(OSSL_PARAM_BLD_to_param(builder));
  ossl::PkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return ossl::PkeyPtr(key);
}

ossl::PkeyPtr RsaPublicKey(ByteView n, ByteView e) {
  ossl::Owned<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free> builder(OSSL_PARAM_BLD_new());
  ossl::BignumPtr n_bn(BN_bin2bn(n.data(), static_cast<int>(n.size()), nullptr));
  ossl::BignumPtr e_bn(BN_bin2bn(e.data(), static_cast<int>(e.size()), nullptr));
  OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n_bn.get());
  OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get());
  return PublicKeyFromParams("RSA", builder.get());
}

ossl::PkeyPtr EcPublicKey(const std::string& crv, ByteView x, ByteView y) {
  Bytes point{0x04};
  point.insert(point.end(), x.begin(), x.end());
  point.insert(point.end(), y.begin(), y.end());
  ossl::Owned<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free> builder(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, crv.c_str(), 0);
  OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  return PublicKeyFromParams("EC", builder.get());
}

// A certificate that only carries `key`: Create looks at nothing else in it.
ossl::X509Ptr UnsignedCertificateFor(EVP_PKEY* key) {
  ossl::X509Ptr certificate(X509_new());
  if (!certificate || X509_set_pubkey(certificate.get(), key) != 1) return nullptr;
  return certificate;
}

class JwsSignerAlgorithmTest : public ::testing::TestWithParam<SignerCase> {
 protected:
  KeyAlgorithm algorithm() const { return GetParam().algorithm; }
};

TEST_P(JwsSignerAlgorithmTest, SignsCompactTokensThatOpensslVerifies) {
  Result<SignerChain> chain = MakeSignerChain(algorithm());
  ASSERT_TRUE(chain.ok()) << chain.error().message();
  Result<JwsSigner> signer = MakeSigner(*chain);
  ASSERT_TRUE(signer.ok()) << signer.error().message();
  EXPECT_EQ(signer->alg(), ExpectedAlg(algorithm()));

  Result<std::string> token = signer->SignCompact(kEarPayload);
  ASSERT_TRUE(token.ok()) << token.error().message();
  std::optional<testing::CompactParts> parts = SplitCompact(*token);
  ASSERT_TRUE(parts.has_value()) << *token;
  EXPECT_EQ(token->find('='), std::string::npos) << "base64url is unpadded";

  boost::json::error_code ec;
  boost::json::value header = boost::json::parse(AsChars(parts->header), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(header, boost::json::parse(R"({"alg":")" + std::string(signer->alg()) + R"(","kid":")" + signer->kid() +
                                       R"(","typ":"JWT"})"));
  EXPECT_EQ(AsChars(parts->payload), kEarPayload);

  const std::size_t expected_size = algorithm() == KeyAlgorithm::kEcdsaP256   ? 64   // raw r||s, not DER
                                    : algorithm() == KeyAlgorithm::kEcdsaP384 ? 96
                                                                             : 384;
  EXPECT_EQ(parts->signature.size(), expected_size);
  EXPECT_TRUE(OpensslVerifies(chain->key.get(), signer->alg(), parts->signing_input, parts->signature));

  std::string tampered = parts->signing_input;
  tampered[tampered.find('.') + 3] ^= 0x01;
  EXPECT_FALSE(OpensslVerifies(chain->key.get(), signer->alg(), tampered, parts->signature));
  Bytes bad_signature = parts->signature;
  bad_signature[bad_signature.size() / 2] ^= 0x01;
  EXPECT_FALSE(OpensslVerifies(chain->key.get(), signer->alg(), parts->signing_input, bad_signature));
}

TEST_P(JwsSignerAlgorithmTest, KidIsTheThumbprintOfThePublishedKey) {
  Result<SignerChain> chain = MakeSignerChain(algorithm());
  ASSERT_TRUE(chain.ok());
  Result<JwsSigner> signer = MakeSigner(*chain);
  ASSERT_TRUE(signer.ok());
  const boost::json::object jwk = OnlyJwk(*signer);
  ASSERT_FALSE(jwk.empty());
  EXPECT_EQ(signer->kid(), Thumbprint(jwk));
  EXPECT_EQ(Str(jwk.at("kid")), signer->kid());
  Result<std::string> thumbprint = JwkThumbprint(chain->key.get());
  ASSERT_TRUE(thumbprint.ok());
  EXPECT_EQ(*thumbprint, signer->kid());
}

TEST_P(JwsSignerAlgorithmTest, JwksPublishesThePublicKeyAndTheChain) {
  Result<SignerChain> chain = MakeSignerChain(algorithm());
  ASSERT_TRUE(chain.ok());
  Result<JwsSigner> signer = MakeSigner(*chain);
  ASSERT_TRUE(signer.ok());
  const boost::json::object jwk = OnlyJwk(*signer);
  ASSERT_FALSE(jwk.empty());
  EXPECT_EQ(Str(jwk.at("alg")), signer->alg());
  EXPECT_EQ(Str(jwk.at("use")), "sig");
  EXPECT_FALSE(jwk.contains("d")) << "no private members";

  ossl::PkeyPtr published;
  if (algorithm() == KeyAlgorithm::kRsa3072) {
    EXPECT_EQ(Str(jwk.at("kty")), "RSA");
    EXPECT_EQ(Str(jwk.at("e")), "AQAB");
    const Bytes n = DecodeMember(jwk, "n");
    EXPECT_EQ(n.size(), 384u);
    EXPECT_NE(n.front(), 0) << "n uses the fewest octets";
    published = RsaPublicKey(n, DecodeMember(jwk, "e"));
  } else {
    const std::size_t width = algorithm() == KeyAlgorithm::kEcdsaP256 ? 32 : 48;
    EXPECT_EQ(Str(jwk.at("kty")), "EC");
    EXPECT_EQ(Str(jwk.at("crv")), algorithm() == KeyAlgorithm::kEcdsaP256 ? "P-256" : "P-384");
    const Bytes x = DecodeMember(jwk, "x");
    const Bytes y = DecodeMember(jwk, "y");
    EXPECT_EQ(x.size(), width);
    EXPECT_EQ(y.size(), width);
    published = EcPublicKey(Str(jwk.at("crv")), x, y);
  }
  ASSERT_NE(published, nullptr);
  EXPECT_EQ(EVP_PKEY_eq(published.get(), chain->key.get()), 1);

  const boost::json::array& x5c = jwk.at("x5c").as_array();
  ASSERT_EQ(x5c.size(), 2u);
  for (std::size_t i = 0; i < x5c.size(); ++i) {
    X509* expected = i == 0 ? chain->leaf.get() : chain->root.get();
    Result<Bytes> der = Base64Decode(Str(x5c[i]));
    ASSERT_TRUE(der.ok()) << "x5c is standard base64";
    Result<Bytes> expected_der = ossl::CertificateDer(expected);
    ASSERT_TRUE(expected_der.ok());
    EXPECT_EQ(*der, *expected_der) << "x5c[" << i << "]";
  }
}

INSTANTIATE_TEST_SUITE_P(KeyAlgorithms, JwsSignerAlgorithmTest, ::testing::ValuesIn(kAllAlgorithms),
                         [](const ::testing::TestParamInfo<SignerCase>& param_info) {
                           std::string name(KeyAlgorithmName(param_info.param.algorithm));
                           name.erase(name.find('-'), 1);
                           return name;
                         });

// The worked example of RFC 7638 §3.1. Its key has no private half, so it cannot
// make a JwsSigner; kid() is JwkThumbprint of the signer's key (checked above).
TEST(JwkThumbprintTest, MatchesRfc7638Example) {
  const std::string n_b64 =
      "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjh"
      "Mstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQv"
      "RL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKn"
      "qDKgw";
  Result<Bytes> n = Base64UrlDecode(n_b64);
  ASSERT_TRUE(n.ok());
  ossl::PkeyPtr key = RsaPublicKey(*n, Bytes{0x01, 0x00, 0x01});
  ASSERT_NE(key, nullptr);

  Result<std::string> canonical = CanonicalPublicJwk(key.get());
  ASSERT_TRUE(canonical.ok()) << canonical.error().message();
  EXPECT_EQ(*canonical, R"({"e":"AQAB","kty":"RSA","n":")" + n_b64 + R"("})");
  Result<std::string> thumbprint = JwkThumbprint(key.get());
  ASSERT_TRUE(thumbprint.ok());
  EXPECT_EQ(*thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");

  // No private half: refused when the signer is made, not on its first token.
  ossl::X509Ptr certificate = UnsignedCertificateFor(key.get());
  ASSERT_NE(certificate, nullptr);
  EXPECT_FALSE(JwsSigner::Create(key.get(), {certificate.get()}).ok());
}

TEST(JwsSignerRefusalTest, RefusesKeysWithoutAJwsAlgorithmHere) {
  ossl::PkeyPtr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  ossl::PkeyPtr p521(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521"));
  ossl::PkeyPtr rsa1024(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}));
  for (EVP_PKEY* key : {ed25519.get(), p521.get(), rsa1024.get()}) {
    ASSERT_NE(key, nullptr);
    ossl::X509Ptr certificate = UnsignedCertificateFor(key);
    ASSERT_NE(certificate, nullptr);
    Result<JwsSigner> signer = JwsSigner::Create(key, {certificate.get()});
    ASSERT_FALSE(signer.ok()) << EVP_PKEY_get0_type_name(key);
    EXPECT_EQ(signer.error().code(), ErrorCode::kUnsupported);
  }
}

TEST(JwsSignerRefusalTest, RefusesAChainThatDoesNotCertifyTheKey) {
  Result<SignerChain> chain = MakeSignerChain(KeyAlgorithm::kEcdsaP256);
  ASSERT_TRUE(chain.ok());
  EVP_PKEY* key = chain->key.get();
  for (const std::vector<X509*>& bad : {std::vector<X509*>{}, std::vector<X509*>{chain->root.get()},
                                        std::vector<X509*>{chain->leaf.get(), nullptr}}) {
    Result<JwsSigner> signer = JwsSigner::Create(key, bad);
    ASSERT_FALSE(signer.ok());
    EXPECT_EQ(signer.error().code(), ErrorCode::kInvalidArgument) << signer.error().message();
  }
  EXPECT_FALSE(JwsSigner::Create(nullptr, {chain->leaf.get()}).ok());
}

TEST(JwsSignerConcurrencyTest, SignsFromSeveralThreadsAtOnce) {
  Result<SignerChain> chain = MakeSignerChain(KeyAlgorithm::kEcdsaP256);
  ASSERT_TRUE(chain.ok());
  Result<JwsSigner> created = MakeSigner(*chain);
  ASSERT_TRUE(created.ok());
  const JwsSigner signer = std::move(created).value();  // and a moved signer keeps working

  constexpr int kThreads = 4;
  constexpr int kTokensEach = 50;
  std::vector<std::vector<std::string>> tokens(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&signer, &tokens, t] {
      for (int i = 0; i < kTokensEach; ++i) {
        Result<std::string> token = signer.SignCompact(R"({"n":")" + std::to_string(t * kTokensEach + i) + R"("})");
        tokens[static_cast<std::size_t>(t)].push_back(token.ok() ? *token : "");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::vector<std::string>& batch : tokens) {
    for (const std::string& token : batch) {
      std::optional<testing::CompactParts> parts = SplitCompact(token);
      ASSERT_TRUE(parts.has_value()) << token;
      EXPECT_TRUE(OpensslVerifies(chain->key.get(), "ES256", parts->signing_input, parts->signature));
    }
  }
}

}  // namespace
}  // namespace vtpmd::ca
