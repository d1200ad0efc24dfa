#include "ca/revocation.h"

#include "ca/x509_time.h"

namespace vtpmd::ca {
namespace {

Status MarkRevoked(Store& store, const CertificateRecord& record, RevocationReason reason, TimePoint now) {
  VTPMD_ASSIGN_OR_RETURN(auto update, store.Prepare("UPDATE certificates SET revoked_at = ?, revocation_reason = ? "
                                                    "WHERE serial = ? AND revoked_at IS NULL"));
  update.Bind(1, ToUnixSeconds(now)).Bind(2, std::int64_t{static_cast<int>(reason)}).Bind(3, record.serial);
  VTPMD_RETURN_IF_ERROR(update.Run());
  if (update.Changes() != 1) return FailedPrecondition("certificate " + record.serial + " is already revoked");
  // The issuer's next CRL fetch signs a new one that lists this serial.
  VTPMD_ASSIGN_OR_RETURN(auto stale, store.Prepare("UPDATE crls SET stale = 1 WHERE issuer_role = ?"));
  stale.Bind(1, IssuerRoleName(record.issuer));
  return stale.Run();
}

CertificateRecord AsRevoked(CertificateRecord record, RevocationReason reason, TimePoint now) {
  record.revoked_at = std::chrono::time_point_cast<std::chrono::seconds>(now);
  record.revocation_reason = reason;
  return record;
}

}  // namespace

Result<CertificateRecord> RevokeCertificate(Store& store, std::string_view serial, RevocationReason reason,
                                            TimePoint now) {
  VTPMD_ASSIGN_OR_RETURN(std::optional<CertificateRecord> found, FindCertificate(store, serial));
  if (!found) return NotFound("no certificate with serial " + std::string(serial) + " was issued here");
  if (IssuerRoleFromName(found->kind).ok()) {
    return Unsupported("certificate " + found->serial + " belongs to the " + found->kind +
                       " issuer; issuers are rotated, not revoked");
  }
  if (found->revoked_at) {
    return FailedPrecondition("certificate " + found->serial + " was already revoked (" +
                              std::string(RevocationReasonName(found->revocation_reason)) + ")");
  }
  VTPMD_RETURN_IF_ERROR(MarkRevoked(store, *found, reason, now));
  return AsRevoked(std::move(*found), reason, now);
}

Result<std::vector<CertificateRecord>> RevokeInstanceCertificates(Store& store, std::string_view instance_id,
                                                                  RevocationReason reason, TimePoint now) {
  if (instance_id.empty()) return Internal("revoking the certificates of no instance");
  std::vector<CertificateRecord> revoked;
  std::string after;
  while (true) {
    CertificateFilter filter;
    filter.instance_id = std::string(instance_id);
    filter.after_serial = after;
    VTPMD_ASSIGN_OR_RETURN(std::vector<CertificateRecord> page, ListCertificates(store, filter, now));
    if (page.empty()) return revoked;
    after = page.back().serial;
    for (CertificateRecord& record : page) {
      if (record.revoked_at) continue;
      VTPMD_RETURN_IF_ERROR(MarkRevoked(store, record, reason, now));
      revoked.push_back(AsRevoked(std::move(record), reason, now));
    }
  }
}

}  // namespace vtpmd::ca
