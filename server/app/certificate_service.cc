#include "server/app/certificate_service.h"

#include <boost/json.hpp>

#include "ca/aik_certificate.h"
#include "ca/crl.h"
#include "ca/revocation.h"
#include "ca/x509_time.h"

namespace vtpmd::app {

Status RecordRevocationEvents(EventLog& events, const ca::CertificateRecord& revoked) {
  boost::json::object data{{"serial", revoked.serial},
                           {"issuer", ca::IssuerRoleName(revoked.issuer)},
                           {"kind", revoked.kind},
                           {"reason", ca::RevocationReasonName(revoked.revocation_reason)}};
  if (!revoked.instance_id.empty()) data["instance_id"] = revoked.instance_id;
  const std::string json = boost::json::serialize(data);
  const EventScope scope{revoked.instance_id, {}};
  VTPMD_RETURN_IF_ERROR(events.Record(kCertificateRevokedEvent, "certificates/" + revoked.serial, json, scope));
  if (revoked.kind != ca::kAikKind && revoked.kind != ca::kPlatformAikKind) return Ok();
  return events.Record(kAikInvalidatedEvent, "certificates/" + revoked.serial, json, scope);
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
    return RecordRevocationEvents(events_, revoked);
  }));
  return revoked;
}

Result<Bytes> CertificateService::Crl(ca::IssuerRole issuer) const {
  VTPMD_ASSIGN_OR_RETURN(const ca::Issuer* found, hierarchy_.issuer(issuer));
  return ca::CurrentCrl(store_, *found, clock_.Now());
}

}  // namespace vtpmd::app
