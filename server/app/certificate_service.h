#pragma once
// The certificates vtpmd issued, as the API sees them: listing, revocation (each
// one an event in the same transaction) and each issuer's current CRL.

#include <string_view>
#include <vector>

#include "ca/certificate_record.h"
#include "ca/hierarchy.h"
#include "ca/revocation_reason.h"
#include "core/clock.h"
#include "core/store.h"
#include "server/app/event_log.h"

namespace vtpmd::app {

class CertificateService {
 public:
  CertificateService(Store& store, const ca::CaHierarchy& hierarchy, EventLog& events, const Clock& clock)
      : store_(store), hierarchy_(hierarchy), events_(events), clock_(clock) {}

  Result<ca::CertificateRecord> Get(std::string_view serial) const;
  Result<std::vector<ca::CertificateRecord>> List(const ca::CertificateFilter& filter) const;
  Result<ca::CertificateRecord> Revoke(std::string_view serial, ca::RevocationReason reason);
  Result<Bytes> Crl(ca::IssuerRole issuer) const;
  TimePoint Now() const { return clock_.Now(); }

 private:
  Store& store_;
  const ca::CaHierarchy& hierarchy_;
  EventLog& events_;
  const Clock& clock_;
};

// The event payload announcing a revocation; instance deletion records the same.
std::string RevocationEventJson(const ca::CertificateRecord& record);
inline constexpr std::string_view kCertificateRevokedEvent = "certificate.revoked";

}  // namespace vtpmd::app
