#include "ca/chain_verifier.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <chrono>
#include <string>

namespace vtpmd::ca {
namespace {
// The stack does not own its certificates: the caller does.
struct StackOfX509Free {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }
};
using StackOfX509Ptr = std::unique_ptr<STACK_OF(X509), StackOfX509Free>;
}  // namespace

Status VerifyCertificateChain(X509* leaf, std::span<X509* const> intermediates, std::span<X509* const> anchors,
                              TimePoint at) {
  if (anchors.empty()) return FailedPrecondition("no trust anchors configured");
  ossl::X509StorePtr store(X509_STORE_new());
  if (!store) return ossl::LastError("X509_STORE_new");
  for (X509* anchor : anchors) {
    VTPMD_RETURN_IF_ERROR(ossl::Check(X509_STORE_add_cert(store.get(), anchor), "X509_STORE_add_cert"));
  }
  StackOfX509Ptr untrusted(sk_X509_new_null());
  if (!untrusted) return ossl::LastError("sk_X509_new_null");
  for (X509* cert : intermediates) {
    if (sk_X509_push(untrusted.get(), cert) <= 0) return ossl::LastError("sk_X509_push");
  }
  ossl::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx) return ossl::LastError("X509_STORE_CTX_new");
  VTPMD_RETURN_IF_ERROR(ossl::Check(X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()),
                                    "X509_STORE_CTX_init"));
  X509_STORE_CTX_set_time(ctx.get(), 0, std::chrono::system_clock::to_time_t(at));
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    ERR_clear_error();
    return InvalidArgument(std::string("certificate chain does not verify: ") +
                           X509_verify_cert_error_string(error) + " at depth " + std::to_string(depth));
  }
  return Ok();
}

Result<std::vector<ossl::X509Ptr>> ParsePemBundle(std::string_view pem) {
  ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return ossl::LastError("BIO_new_mem_buf");
  std::vector<ossl::X509Ptr> out;
  while (true) {
    ossl::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    out.push_back(std::move(cert));
  }
  // Reaching the end of the input leaves a "no start line" error; anything else is damage.
  const unsigned long last = ERR_peek_last_error();
  const bool clean_end = ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (!clean_end && last != 0) return InvalidArgument("PEM bundle contains a malformed certificate");
  if (out.empty()) return InvalidArgument("PEM bundle contains no certificate");
  return out;
}

}  // namespace vtpmd::ca
