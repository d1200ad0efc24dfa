#include "ca/certificate_cache.h"

namespace vtpmd::ca {

Result<ossl::X509Ptr> CertificateCache::Parse(ByteView der) {
  std::string key(AsChars(der));
  {
    std::lock_guard lock(mu_);
    if (auto found = parsed_.find(key); found != parsed_.end()) return ossl::ShareCertificate(found->second.get());
  }
  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr certificate, ossl::ParseCertificateDer(der));
  std::lock_guard lock(mu_);
  if (parsed_.size() >= capacity_) parsed_.clear();
  parsed_.emplace(std::move(key), ossl::ShareCertificate(certificate.get()));
  return certificate;
}

}  // namespace vtpmd::ca
