#include "ca/private_key.h"

#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include <array>

namespace vtpmd::ca {
namespace {

using Pkcs8Ptr = ossl::Owned<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>;

constexpr std::size_t kRsa3072Bits = 3072;

}  // namespace

Result<ossl::PkeyPtr> GeneratePrivateKey(KeyAlgorithm algorithm) {
  EVP_PKEY* key = nullptr;
  switch (algorithm) {
    case KeyAlgorithm::kEcdsaP256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyAlgorithm::kEcdsaP384:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyAlgorithm::kRsa3072:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", kRsa3072Bits);
      break;
  }
  return ossl::CheckPtr(ossl::PkeyPtr(key), "generating a " + std::string(KeyAlgorithmName(algorithm)) + " key");
}

Result<const EVP_MD*> IssuerSigningDigest(EVP_PKEY* key) {
  VTPMD_ASSIGN_OR_RETURN(KeyAlgorithm algorithm, IdentifyKeyAlgorithm(key));
  switch (SignatureDigest(algorithm)) {
    case HashAlg::kSha1: break;  // never chosen for signing
    case HashAlg::kSha256: return EVP_sha256();
    case HashAlg::kSha384: return EVP_sha384();
    case HashAlg::kSha512: return EVP_sha512();
  }
  return Internal("no signing digest for this issuer key");
}

Result<KeyAlgorithm> IdentifyKeyAlgorithm(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) == static_cast<int>(kRsa3072Bits)) {
    return KeyAlgorithm::kRsa3072;
  }
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    std::array<char, 64> group{};
    if (EVP_PKEY_get_group_name(key, group.data(), group.size(), nullptr) != 1) {
      return ossl::LastError("EVP_PKEY_get_group_name");
    }
    const int nid = OBJ_txt2nid(group.data());
    if (nid == NID_X9_62_prime256v1) return KeyAlgorithm::kEcdsaP256;
    if (nid == NID_secp384r1) return KeyAlgorithm::kEcdsaP384;
  }
  return Unsupported("key is not ECDSA P-256, ECDSA P-384 or RSA-3072");
}

Result<SecretBytes> ExportPkcs8Der(EVP_PKEY* key) {
  // PKCS8_PRIV_KEY_INFO_free clears the embedded private key octets on free.
  VTPMD_ASSIGN_OR_RETURN(Pkcs8Ptr info, ossl::CheckPtr(Pkcs8Ptr(EVP_PKEY2PKCS8(key)), "EVP_PKEY2PKCS8"));
  const int length = i2d_PKCS8_PRIV_KEY_INFO(info.get(), nullptr);
  if (length <= 0) return ossl::LastError("i2d_PKCS8_PRIV_KEY_INFO");
  SecretBytes der(static_cast<std::size_t>(length));
  unsigned char* out = der.data();
  if (i2d_PKCS8_PRIV_KEY_INFO(info.get(), &out) != length) return ossl::LastError("i2d_PKCS8_PRIV_KEY_INFO");
  return der;
}

Result<ossl::PkeyPtr> ImportPkcs8Der(const SecretBytes& der) {
  const unsigned char* in = der.data();
  Pkcs8Ptr info(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &in, static_cast<long>(der.size())));
  if (!info) return ossl::LastError("private key is not PKCS#8 DER", ErrorCode::kInvalidArgument);
  if (in != der.data() + der.size()) return InvalidArgument("trailing bytes after PKCS#8 private key");
  return ossl::CheckPtr(ossl::PkeyPtr(EVP_PKCS82PKEY(info.get())), "EVP_PKCS82PKEY");
}

Result<SecretBytes> ExportPkcs8Pem(EVP_PKEY* key) {
  // A secure-heap memory BIO clears its buffer when freed, so the PEM text does not linger.
  ossl::BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio) return ossl::LastError("BIO_new(BIO_s_secmem)");
  VTPMD_RETURN_IF_ERROR(ossl::Check(
      PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
      "PEM_write_bio_PKCS8PrivateKey"));
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  if (length <= 0) return ossl::LastError("BIO_get_mem_data");
  return SecretBytes::CopyFrom(AsBytes(std::string_view(data, static_cast<std::size_t>(length))));
}

}  // namespace vtpmd::ca
