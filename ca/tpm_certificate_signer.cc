#include "ca/tpm_certificate_signer.h"

#include <openssl/x509.h>

#include "ca/der.h"

namespace vtpmd::ca {
namespace {

template <typename T, typename Encoder>
Result<Bytes> Encoded(T* object, Encoder encode, std::string_view what) {
  unsigned char* der = nullptr;
  const int length = encode(object, &der);
  if (length <= 0) return ossl::LastError(what);
  Bytes out(der, der + length);
  OPENSSL_free(der);
  return out;
}

}  // namespace

Result<TpmCertificateSigner> TpmCertificateSigner::Create(ossl::X509Ptr certificate, SignFn sign) {
  if (!certificate || !sign) return Internal("a TPM certificate signer without certificate or key");
  if (EVP_PKEY_get_base_id(X509_get0_pubkey(certificate.get())) != EVP_PKEY_EC) {
    return Unsupported("the TPM signing key must be an ECC key");
  }
  ossl::PkeyPtr placeholder(EVP_EC_gen("P-256"));
  if (!placeholder) return ossl::LastError("EVP_EC_gen");
  return TpmCertificateSigner(std::move(certificate), std::move(sign), std::move(placeholder));
}

Result<ossl::X509Ptr> TpmCertificateSigner::Resign(X509* placeholder_signed) const {
  VTPMD_ASSIGN_OR_RETURN(Bytes to_be_signed, Encoded(placeholder_signed, i2d_re_X509_tbs, "i2d_re_X509_tbs"));
  const ASN1_BIT_STRING* unused = nullptr;
  const X509_ALGOR* algorithm = nullptr;
  X509_get0_signature(&unused, &algorithm, placeholder_signed);
  VTPMD_ASSIGN_OR_RETURN(Bytes algorithm_der, Encoded(algorithm, i2d_X509_ALGOR, "i2d_X509_ALGOR"));
  auto signature = sign_(to_be_signed);
  if (!signature.ok()) return signature.error().WithContext("signing in the TPM");
  VTPMD_ASSIGN_OR_RETURN(Bytes signature_der, der::BitString(*signature));
  VTPMD_ASSIGN_OR_RETURN(Bytes certificate, der::Sequence({to_be_signed, algorithm_der, signature_der}));
  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr resigned, ossl::ParseCertificateDer(certificate));
  // A wrong key or a TPM that signed other bytes must not leave here as a certificate.
  if (X509_verify(resigned.get(), X509_get0_pubkey(certificate_.get())) != 1) {
    return ossl::LastError("the TPM's signature does not verify with the signer's certificate");
  }
  return resigned;
}

}  // namespace vtpmd::ca
