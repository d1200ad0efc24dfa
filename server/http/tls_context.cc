#include "server/http/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <climits>

#include "core/openssl.h"

namespace vtpmd::http {
namespace {

constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Status ApplyCommonPolicy(SSL_CTX* ctx) {
  VTPMD_RETURN_IF_ERROR(ossl::Check(static_cast<int>(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)), "SSL_CTX_set_min_proto_version"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(SSL_CTX_set_cipher_list(ctx, kTls12Ciphers), "SSL_CTX_set_cipher_list"));
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  return Ok();
}

Result<ossl::BioPtr> MemoryBio(std::string_view pem) {
  if (pem.size() > INT_MAX) return InvalidArgument("PEM too large");
  return ossl::CheckPtr(ossl::BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))), "BIO_new_mem_buf");
}

Status AddTrustAnchors(SSL_CTX* ctx, std::string_view ca_pem) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  VTPMD_ASSIGN_OR_RETURN(ossl::BioPtr bio, MemoryBio(ca_pem));
  int added = 0;
  while (ossl::X509Ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    VTPMD_RETURN_IF_ERROR(ossl::Check(X509_STORE_add_cert(store, cert.get()), "X509_STORE_add_cert"));
    ++added;
  }
  ERR_clear_error();
  if (added == 0) return InvalidArgument("CA PEM holds no certificate");
  return Ok();
}

}  // namespace

Status ConfigureServerTls(SSL_CTX* ctx, const TlsIdentity& identity) {
  VTPMD_RETURN_IF_ERROR(ApplyCommonPolicy(ctx));

  VTPMD_ASSIGN_OR_RETURN(ossl::BioPtr chain, MemoryBio(identity.certificate_chain_pem));
  ossl::X509Ptr leaf(PEM_read_bio_X509_AUX(chain.get(), nullptr, nullptr, nullptr));
  if (!leaf) return ossl::LastError("TLS certificate chain: no certificate", ErrorCode::kInvalidArgument);
  VTPMD_RETURN_IF_ERROR(ossl::Check(SSL_CTX_use_certificate(ctx, leaf.get()), "SSL_CTX_use_certificate"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(static_cast<int>(SSL_CTX_clear_chain_certs(ctx)), "SSL_CTX_clear_chain_certs"));
  while (ossl::X509Ptr intermediate{PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr)}) {
    // add0 takes ownership only on success.
    if (SSL_CTX_add0_chain_cert(ctx, intermediate.get()) != 1) return ossl::LastError("SSL_CTX_add0_chain_cert");
    static_cast<void>(intermediate.release());
  }
  ERR_clear_error();  // the loop ends on an expected "no start line"

  const std::string_view key_pem = AsChars(identity.private_key_pem.view());
  VTPMD_ASSIGN_OR_RETURN(ossl::BioPtr key_bio, MemoryBio(key_pem));
  ossl::PkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) return ossl::LastError("TLS private key", ErrorCode::kInvalidArgument);
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return ossl::LastError("TLS private key does not match the certificate", ErrorCode::kInvalidArgument);
  }
  return Ok();
}

Status ConfigureClientTls(SSL_CTX* ctx, std::string_view ca_pem, bool insecure) {
  VTPMD_RETURN_IF_ERROR(ApplyCommonPolicy(ctx));
  if (insecure) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return Ok();
  }
  if (ca_pem.empty()) return InvalidArgument("a trust anchor (CA PEM) is required unless insecure");
  VTPMD_RETURN_IF_ERROR(AddTrustAnchors(ctx, ca_pem));
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return Ok();
}

Status ConfigureSystemTrustClientTls(SSL_CTX* ctx, std::string_view extra_ca_pem) {
  VTPMD_RETURN_IF_ERROR(ApplyCommonPolicy(ctx));
  VTPMD_RETURN_IF_ERROR(ossl::Check(SSL_CTX_set_default_verify_paths(ctx), "SSL_CTX_set_default_verify_paths"));
  if (!extra_ca_pem.empty()) VTPMD_RETURN_IF_ERROR(AddTrustAnchors(ctx, extra_ca_pem));
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return Ok();
}

Status SetExpectedPeer(SSL* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1) return Ok();
  ERR_clear_error();  // not an IP literal: treat it as a DNS name
  VTPMD_RETURN_IF_ERROR(ossl::Check(SSL_set1_host(ssl, host.c_str()), "SSL_set1_host"));
  // SSL_set_tlsext_host_name is a macro with a C cast; this is its expansion.
  const long sni = SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str()));
  return ossl::Check(sni == 1 ? 1 : 0, "SSL_set_tlsext_host_name");
}

}  // namespace vtpmd::http
