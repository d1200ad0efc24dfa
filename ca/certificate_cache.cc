#include "ca/certificate_cache.h"

namespace vtpmd::ca {
namespace {

ossl::X509Ptr Share(X509* certificate) {
  X509_up_ref(certificate);
  return ossl::X509Ptr(certificate);
}

}  // namespace

Result<ossl::X509Ptr> CertificateCache::Parse(ByteView der) {
  std::string key(AsChars(der));
  {
    std::lock_guard lock(mu_);
    if (auto found = parsed_.find(key); found != parsed_.end()) return Share(found->second.get());
  }
  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr certificate, ossl::ParseCertificateDer(der));
  std::lock_guard lock(mu_);
  if (parsed_.size() >= capacity_) parsed_.clear();
  parsed_.emplace(std::move(key), Share(certificate.get()));
  return certificate;
}

}  // namespace vtpmd::ca
