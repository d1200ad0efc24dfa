#include "core/openssl.h"

#include <openssl/err.h>
#include <openssl/pem.h>

namespace vtpmd::ossl {

Error LastError(std::string_view what, ErrorCode code) {
  std::string message(what);
  bool first = true;
  while (unsigned long err = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof buf);
    message += first ? ": " : "; ";
    message += buf;
    first = false;
  }
  return Error(code, std::move(message));
}

Result<X509Ptr> ParseCertificateDer(ByteView der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return LastError("certificate is not valid DER", ErrorCode::kInvalidArgument);
  if (p != der.data() + der.size()) return InvalidArgument("trailing bytes after certificate");
  return cert;
}

Result<X509Ptr> ParseCertificatePem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return LastError("BIO_new_mem_buf");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return LastError("certificate is not valid PEM", ErrorCode::kInvalidArgument);
  return cert;
}

Result<Bytes> CertificateDer(X509* cert) {
  const int len = i2d_X509(cert, nullptr);
  if (len <= 0) return LastError("i2d_X509");
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d_X509(cert, &p) != len) return LastError("i2d_X509");
  return out;
}

namespace {
Result<std::string> BioContents(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  if (len < 0) return LastError("BIO_get_mem_data");
  return std::string(data, static_cast<std::size_t>(len));
}
}  // namespace

Result<std::string> CertificatePem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return LastError("BIO_new");
  VTPMD_RETURN_IF_ERROR(Check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509"));
  return BioContents(bio.get());
}

Result<std::string> PublicKeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return LastError("BIO_new");
  VTPMD_RETURN_IF_ERROR(Check(PEM_write_bio_PUBKEY(bio.get(), key), "PEM_write_bio_PUBKEY"));
  return BioContents(bio.get());
}

Result<Bytes> PublicKeyDer(EVP_PKEY* key) {
  const int len = i2d_PUBKEY(key, nullptr);
  if (len <= 0) return LastError("i2d_PUBKEY");
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d_PUBKEY(key, &p) != len) return LastError("i2d_PUBKEY");
  return out;
}

}  // namespace vtpmd::ossl
