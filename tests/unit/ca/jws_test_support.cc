#include "jws_test_support.h"

#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include "ca/certificate_builder.h"
#include "ca/private_key.h"
#include "ca_test_support.h"
#include "core/clock.h"
#include "core/random.h"

namespace vtpmd::ca::testing {

Result<SignerChain> MakeSignerChain(KeyAlgorithm algorithm) {
  FakeClock clock(TestStart());
  DeterministicRng rng(11);
  SignerChain chain;
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr root_key, GeneratePrivateKey(KeyAlgorithm::kEcdsaP256));
  CertificateBuilder root_builder(root_key.get());
  root_builder.SetSubject({.common_name = "test root"})
      .SetValidity(clock, std::chrono::hours(48))
      .SetBasicConstraints(true, {});
  VTPMD_ASSIGN_OR_RETURN(chain.root, root_builder.SelfSign(root_key.get(), rng));
  VTPMD_ASSIGN_OR_RETURN(chain.key, GeneratePrivateKey(algorithm));
  CertificateBuilder leaf_builder(chain.key.get());
  leaf_builder.SetSubject({.common_name = "attestation-result signer"})
      .SetValidity(clock, std::chrono::hours(24))
      .SetKeyUsage({.digital_signature = true});
  VTPMD_ASSIGN_OR_RETURN(chain.leaf, leaf_builder.SignWith(chain.root.get(), root_key.get(), rng));
  return chain;
}

Result<JwsSigner> MakeSigner(const SignerChain& chain) {
  return JwsSigner::Create(chain.key.get(), {chain.leaf.get(), chain.root.get()});
}

std::optional<CompactParts> SplitCompact(std::string_view token) {
  const std::size_t first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
  Result<Bytes> header = Base64UrlDecode(token.substr(0, first));
  Result<Bytes> payload = Base64UrlDecode(token.substr(first + 1, second - first - 1));
  Result<Bytes> signature = Base64UrlDecode(token.substr(second + 1));
  if (!header.ok() || !payload.ok() || !signature.ok()) return std::nullopt;
  return CompactParts{std::string(token.substr(0, second)), std::move(header).value(), std::move(payload).value(),
                      std::move(signature).value()};
}

bool OpensslVerifies(EVP_PKEY* key, std::string_view alg, std::string_view signing_input, ByteView signature) {
  Bytes der(signature.begin(), signature.end());
  if (alg == "ES256" || alg == "ES384") {
    const std::size_t width = alg == "ES256" ? 32 : 48;
    if (signature.size() != 2 * width) return false;
    ossl::Owned<ECDSA_SIG, ECDSA_SIG_free> value(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(signature.data(), static_cast<int>(width), nullptr);
    BIGNUM* s = BN_bin2bn(signature.data() + width, static_cast<int>(width), nullptr);
    if (!value || r == nullptr || s == nullptr || ECDSA_SIG_set0(value.get(), r, s) != 1) {
      BN_free(r);
      BN_free(s);
      return false;
    }
    unsigned char* out = nullptr;
    const int length = i2d_ECDSA_SIG(value.get(), &out);
    if (length <= 0) return false;
    der.assign(out, out + length);
    OPENSSL_free(out);
  } else if (alg != "PS256") {
    return false;
  }
  ossl::MdCtxPtr context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_context = nullptr;
  const EVP_MD* digest = alg == "ES384" ? EVP_sha384() : EVP_sha256();
  if (EVP_DigestVerifyInit(context.get(), &key_context, digest, nullptr, key) != 1) return false;
  if (alg == "PS256" && (EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PSS_PADDING) != 1 ||
                         EVP_PKEY_CTX_set_rsa_mgf1_md(key_context, EVP_sha256()) != 1 ||
                         EVP_PKEY_CTX_set_rsa_pss_saltlen(key_context, 32) != 1)) {
    return false;
  }
  const ByteView input = AsBytes(signing_input);
  return EVP_DigestVerify(context.get(), der.data(), der.size(), input.data(), input.size()) == 1;
}

}  // namespace vtpmd::ca::testing
