#include "server/app/certificate_service.h"

#include <boost/json.hpp>

#include "ca/crl.h"
#include "ca/revocation.h"
#include "ca/x509_time.h"

namespace vtpmd::app {

std::string RevocationEventJson(const ca::CertificateRecord& record) {
  boost::json::object data{{"serial", record.serial},
                           {"issuer", ca::IssuerRoleName(record.issuer)},
                           {"kind", record.kind},
                           {"reason", ca::RevocationReasonName(record.revocation_reason)}};
  if (!record.instance_id.empty()) data["instance_id"] = record.instance_id;
  return boost::json::serialize(data);
}

Result<ca::CertificateRecord> CertificateService::Get(std::string_view serial) const {
  VTPMD_ASSIGN_OR_RETURN(std::optional<ca::CertificateRecord> found, ca::FindCertificate(store_, serial));
  if (!found) return NotFound("no certificate with serial " + std::string(serial) + " was issued here");
  return std::move(*found);
}

Result<std::vector<ca::CertificateRecord>> CertificateService::List(const ca::CertificateFilter& filter) const {
  return ca::ListCertificates(store_, filter, clock_.Now());
}

Result<ca::CertificateRecord> CertificateService::Revoke(std::string_view serial, ca::RevocationReason reason) {
  ca::CertificateRecord revoked;
  VTPMD_RETURN_IF_ERROR(store_.Transaction([&]() -> Status {
    VTPMD_ASSIGN_OR_RETURN(revoked, ca::RevokeCertificate(store_, serial, reason, clock_.Now()));
    return events_.Record(kCertificateRevokedEvent, "certificates/" + revoked.serial, RevocationEventJson(revoked));
  }));
  return revoked;
}

Result<Bytes> CertificateService::Crl(ca::IssuerRole issuer) const {
  VTPMD_ASSIGN_OR_RETURN(const ca::Issuer* found, hierarchy_.issuer(issuer));
  return ca::CurrentCrl(store_, *found, clock_.Now());
}

}  // namespace vtpmd::app
