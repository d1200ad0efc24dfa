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

inline constexpr std::string_view kCertificateRevokedEvent = "certificate.revoked";
inline constexpr std::string_view kAikInvalidatedEvent = "aik.invalidated";
// Inside the revoking transaction: certificate.revoked, and for an AIK's certificate
// also aik.invalidated, since no quote by that key verifies from now on.
Status RecordRevocationEvents(EventLog& events, const ca::CertificateRecord& revoked);

}  // namespace vtpmd::app
