#pragma once
// An issuer whose private key never leaves a TPM (certification method
// aik-certifies-aik: the host signing key in the platform TPM). OpenSSL cannot
// sign with it, so a certificate is first completed and signed with a throwaway
// key of the same algorithm, which fixes every to-be-signed field (the signature
// algorithm included); the TPM then signs those exact bytes and the certificate
// is reassembled around its signature.

#include <functional>

#include "core/bytes.h"
#include "core/openssl.h"
#include "core/result.h"

namespace vtpmd::ca {

class TpmCertificateSigner {
 public:
  // Returns the DER ECDSA-Sig-Value (P-256, SHA-256) over `to_be_signed`.
  using SignFn = std::function<Result<Bytes>(ByteView to_be_signed)>;

  static Result<TpmCertificateSigner> Create(ossl::X509Ptr certificate, SignFn sign);

  X509* certificate() const { return certificate_.get(); }
  // A P-256 key to complete certificates with before Resign().
  EVP_PKEY* placeholder_key() const { return placeholder_.get(); }
  // `placeholder_signed`, signed by the TPM key instead.
  Result<ossl::X509Ptr> Resign(X509* placeholder_signed) const;

 private:
  TpmCertificateSigner(ossl::X509Ptr certificate, SignFn sign, ossl::PkeyPtr placeholder)
      : certificate_(std::move(certificate)), sign_(std::move(sign)), placeholder_(std::move(placeholder)) {}

  ossl::X509Ptr certificate_;
  SignFn sign_;
  ossl::PkeyPtr placeholder_;
};

}  // namespace vtpmd::ca
