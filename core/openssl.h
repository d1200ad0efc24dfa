#pragma once
// One RAII owner per OpenSSL object type, and one checked-call helper that turns
// OpenSSL's thread-local error queue into an Error (and empties the queue so the
// next call does not inherit stale errors).

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::ossl {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;

using PkeyPtr = Owned<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtxPtr = Owned<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtxPtr = Owned<EVP_MD_CTX, EVP_MD_CTX_free>;
using CipherCtxPtr = Owned<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using X509Ptr = Owned<X509, X509_free>;
using X509NamePtr = Owned<X509_NAME, X509_NAME_free>;
using X509ExtPtr = Owned<X509_EXTENSION, X509_EXTENSION_free>;
using X509StorePtr = Owned<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = Owned<X509_STORE_CTX, X509_STORE_CTX_free>;
using BioPtr = Owned<BIO, BIO_free_all>;
using BignumPtr = Owned<BIGNUM, BN_free>;
using Asn1IntegerPtr = Owned<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1OctetStringPtr = Owned<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using GeneralNamesPtr = Owned<GENERAL_NAMES, GENERAL_NAMES_free>;

// Builds an Error from `what` and everything on the error queue, draining it.
Error LastError(std::string_view what, ErrorCode code = ErrorCode::kInternal);

// For the many OpenSSL calls that return 1 on success.
inline Status Check(int rc, std::string_view what) {
  if (rc == 1) return Ok();
  return LastError(what);
}

// For calls that return an owned pointer, nullptr on failure.
template <typename Ptr>
Result<Ptr> CheckPtr(Ptr ptr, std::string_view what) {
  if (ptr) return ptr;
  return LastError(what);
}

// Another owner of `certificate` (OpenSSL counts references; a certificate is
// only read once parsed, so owners on several threads may share it).
inline X509Ptr ShareCertificate(X509* certificate) {
  X509_up_ref(certificate);
  return X509Ptr(certificate);
}

// DER <-> objects. Parsers reject trailing bytes.
Result<X509Ptr> ParseCertificateDer(ByteView der);
Result<X509Ptr> ParseCertificatePem(std::string_view pem);
Result<Bytes> CertificateDer(X509* cert);
Result<std::string> CertificatePem(X509* cert);
Result<std::string> PublicKeyPem(EVP_PKEY* key);
Result<Bytes> PublicKeyDer(EVP_PKEY* key);  // SubjectPublicKeyInfo

}  // namespace vtpmd::ossl
