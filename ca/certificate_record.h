#pragma once
// The `certificates` table: every certificate an issuer signs is recorded for
// listing and later revocation.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ca/issuer.h"
#include "ca/revocation_reason.h"
#include "core/clock.h"
#include "core/openssl.h"
#include "core/bytes.h"
#include "core/result.h"
#include "core/store.h"

namespace vtpmd::ca {

// `kind` says what the certificate is for: an issuer role name, "ek", "aik", ...
// `instance_id` names the vTPM it was issued for ("" for none).
Status RecordCertificate(Store& store, IssuerRole issuer, std::string_view kind, X509* certificate,
                         std::string_view instance_id = {});

// The DER of a certificate recorded under `serial` (hex, as SerialHex writes it);
// nullopt when there is none.
Result<std::optional<Bytes>> FindCertificateDer(Store& store, std::string_view serial);

enum class CertificateStatus { kValid, kRevoked, kExpired };
std::string_view CertificateStatusName(CertificateStatus status);  // "valid", "revoked", "expired"
Result<CertificateStatus> CertificateStatusFromName(std::string_view name);

struct CertificateRecord {
  std::string serial;
  IssuerRole issuer;
  std::string kind;
  std::string subject;
  std::string instance_id;  // "" when issued for no vTPM
  TimePoint not_before;
  TimePoint not_after;
  std::optional<TimePoint> revoked_at;
  RevocationReason revocation_reason = RevocationReason::kUnspecified;  // when revoked
  Bytes der;

  CertificateStatus StatusAt(TimePoint now) const;
};

// The table of issued certificates, for Store::RowChanges: revoking one changes it.
inline constexpr std::string_view kCertificatesTable = "certificates";

Result<std::optional<CertificateRecord>> FindCertificate(Store& store, std::string_view serial);
// Why the certificate recorded under `serial` was revoked; nullopt when it was not
// (or none is recorded). Reads only that, for checks on every request.
Result<std::optional<RevocationReason>> FindRevocation(Store& store, std::string_view serial);

struct CertificateFilter {
  std::string instance_id;                  // "" for any
  std::string kind;                         // "" for any
  std::optional<CertificateStatus> status;  // at `now`
  std::string after_serial;                 // paging cursor: serials sort as text
  std::size_t limit = 100;
};
Result<std::vector<CertificateRecord>> ListCertificates(Store& store, const CertificateFilter& filter, TimePoint now);

// RFC 2253 text of the certificate's subject ("" for an empty subject).
Result<std::string> SubjectText(X509* certificate);

}  // namespace vtpmd::ca
