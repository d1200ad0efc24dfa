#include "tests/unit/server/test_tls_identity.h"

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdlib>

#include "core/openssl.h"

namespace vtpmd::http::testing {
namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "test identity: %s failed: %s\n", what, ossl::LastError(what).message().c_str());
    std::abort();
  }
}

}  // namespace

TlsIdentity MakeSelfSignedIdentity() {
  ossl::PkeyPtr key(EVP_EC_gen("P-256"));
  Require(key != nullptr, "EVP_EC_gen");
  ossl::X509Ptr cert(X509_new());
  Require(cert != nullptr, "X509_new");
  Require(X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_set_version");
  Require(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1, "serial");
  Require(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
  Require(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600) != nullptr, "notAfter");
  X509_NAME* name = X509_get_subject_name(cert.get());
  Require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"),
                                     -1, -1, 0) == 1,
          "subject");
  Require(X509_set_issuer_name(cert.get(), name) == 1, "issuer");
  Require(X509_set_pubkey(cert.get(), key.get()) == 1, "pubkey");
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  ossl::X509ExtPtr san(X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"));
  Require(san != nullptr && X509_add_ext(cert.get(), san.get(), -1) == 1, "subjectAltName");
  Require(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");

  auto cert_pem = ossl::CertificatePem(cert.get());
  Require(cert_pem.ok(), "CertificatePem");
  ossl::BioPtr bio(BIO_new(BIO_s_secmem()));
  Require(bio != nullptr, "BIO_new");
  Require(PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1, "key PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return TlsIdentity{*cert_pem, SecretBytes::CopyFrom({reinterpret_cast<const std::uint8_t*>(data),
                                                        static_cast<std::size_t>(size)})};
}

}  // namespace vtpmd::http::testing
