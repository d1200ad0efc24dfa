#include "ca/certificate_record.h"

#include "ca/serial_number.h"
#include "ca/x509_time.h"

namespace vtpmd::ca {

Result<std::string> SubjectText(X509* certificate) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return ossl::LastError("BIO_new");
  if (X509_NAME_print_ex(bio.get(), X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253) < 0) {
    return ossl::LastError("X509_NAME_print_ex");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  if (length < 0) return ossl::LastError("BIO_get_mem_data");
  return std::string(data, static_cast<std::size_t>(length));
}

Status RecordCertificate(Store& store, IssuerRole issuer, std::string_view kind, X509* certificate,
                         std::string_view instance_id) {
  VTPMD_ASSIGN_OR_RETURN(std::string serial, SerialHex(certificate));
  VTPMD_ASSIGN_OR_RETURN(std::string subject, SubjectText(certificate));
  VTPMD_ASSIGN_OR_RETURN(Bytes der, ossl::CertificateDer(certificate));
  VTPMD_ASSIGN_OR_RETURN(TimePoint not_before, ToTimePoint(X509_get0_notBefore(certificate)));
  VTPMD_ASSIGN_OR_RETURN(TimePoint not_after, ToTimePoint(X509_get0_notAfter(certificate)));
  VTPMD_ASSIGN_OR_RETURN(
      Statement insert,
      store.Prepare("INSERT INTO certificates(serial, issuer_role, kind, subject, certificate_der, not_before, "
                    "not_after, instance_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, serial)
      .Bind(2, IssuerRoleName(issuer))
      .Bind(3, kind)
      .Bind(4, subject)
      .Bind(5, ByteView(der))
      .Bind(6, ToUnixSeconds(not_before))
      .Bind(7, ToUnixSeconds(not_after));
  if (instance_id.empty()) {
    insert.BindNull(8);
  } else {
    insert.Bind(8, instance_id);
  }
  return insert.Run();
}

namespace {

constexpr std::string_view kColumns =
    "serial, issuer_role, kind, subject, instance_id, not_before, not_after, revoked_at, revocation_reason, "
    "certificate_der";

TimePoint FromUnixSeconds(std::int64_t seconds) { return TimePoint(std::chrono::seconds(seconds)); }

Result<CertificateRecord> ReadRecord(const Statement& row) {
  CertificateRecord record;
  record.serial = row.Text(0);
  VTPMD_ASSIGN_OR_RETURN(record.issuer, IssuerRoleFromName(row.Text(1)));
  record.kind = row.Text(2);
  record.subject = row.Text(3);
  if (!row.IsNull(4)) record.instance_id = row.Text(4);
  record.not_before = FromUnixSeconds(row.Int(5));
  record.not_after = FromUnixSeconds(row.Int(6));
  if (!row.IsNull(7)) {
    record.revoked_at = FromUnixSeconds(row.Int(7));
    VTPMD_ASSIGN_OR_RETURN(record.revocation_reason, RevocationReasonFromCode(static_cast<int>(row.Int(8))));
  }
  record.der = row.Blob(9);
  return record;
}

}  // namespace

std::string_view CertificateStatusName(CertificateStatus status) {
  switch (status) {
    case CertificateStatus::kValid: return "valid";
    case CertificateStatus::kRevoked: return "revoked";
    case CertificateStatus::kExpired: return "expired";
  }
  return "valid";
}

Result<CertificateStatus> CertificateStatusFromName(std::string_view name) {
  for (CertificateStatus status : {CertificateStatus::kValid, CertificateStatus::kRevoked, CertificateStatus::kExpired}) {
    if (CertificateStatusName(status) == name) return status;
  }
  return InvalidArgument("unknown certificate status \"" + std::string(name) + "\"; use valid, revoked or expired");
}

CertificateStatus CertificateRecord::StatusAt(TimePoint now) const {
  if (revoked_at) return CertificateStatus::kRevoked;
  return now < not_after ? CertificateStatus::kValid : CertificateStatus::kExpired;
}

Result<std::optional<CertificateRecord>> FindCertificate(Store& store, std::string_view serial) {
  VTPMD_ASSIGN_OR_RETURN(auto select,
                         store.Prepare("SELECT " + std::string(kColumns) + " FROM certificates WHERE serial = ?"));
  select.Bind(1, serial);
  VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return std::optional<CertificateRecord>();
  VTPMD_ASSIGN_OR_RETURN(CertificateRecord record, ReadRecord(select));
  return std::optional<CertificateRecord>(std::move(record));
}

Result<std::optional<RevocationReason>> FindRevocation(Store& store, std::string_view serial) {
  VTPMD_ASSIGN_OR_RETURN(
      auto select,
      store.Prepare("SELECT revocation_reason FROM certificates WHERE serial = ? AND revoked_at IS NOT NULL"));
  select.Bind(1, serial);
  VTPMD_ASSIGN_OR_RETURN(bool revoked, select.Step());
  if (!revoked) return std::optional<RevocationReason>();
  VTPMD_ASSIGN_OR_RETURN(RevocationReason reason, RevocationReasonFromCode(static_cast<int>(select.Int(0))));
  return std::optional(reason);
}

Result<std::vector<CertificateRecord>> ListCertificates(Store& store, const CertificateFilter& filter, TimePoint now) {
  // Status is a function of time, so it is filtered here in SQL against `now`.
  VTPMD_ASSIGN_OR_RETURN(
      auto select,
      store.Prepare("SELECT " + std::string(kColumns) +
                    " FROM certificates WHERE serial > ? AND (? = '' OR instance_id = ?) AND (? = '' OR kind = ?) AND "
                    "(? = '' OR (? = 'revoked' AND revoked_at IS NOT NULL) OR "
                    "(? = 'valid' AND revoked_at IS NULL AND not_after > ?) OR "
                    "(? = 'expired' AND revoked_at IS NULL AND not_after <= ?)) "
                    "ORDER BY serial LIMIT ?"));
  const std::string status = filter.status ? std::string(CertificateStatusName(*filter.status)) : "";
  const std::int64_t now_seconds = ToUnixSeconds(now);
  select.Bind(1, filter.after_serial)
      .Bind(2, filter.instance_id)
      .Bind(3, filter.instance_id)
      .Bind(4, filter.kind)
      .Bind(5, filter.kind)
      .Bind(6, status)
      .Bind(7, status)
      .Bind(8, status)
      .Bind(9, now_seconds)
      .Bind(10, status)
      .Bind(11, now_seconds)
      .Bind(12, static_cast<std::int64_t>(filter.limit));
  std::vector<CertificateRecord> records;
  while (true) {
    VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    VTPMD_ASSIGN_OR_RETURN(CertificateRecord record, ReadRecord(select));
    records.push_back(std::move(record));
  }
  return records;
}

Result<std::optional<Bytes>> FindCertificateDer(Store& store, std::string_view serial) {
  VTPMD_ASSIGN_OR_RETURN(auto select, store.Prepare("SELECT certificate_der FROM certificates WHERE serial = ?"));
  select.Bind(1, serial);
  VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return std::optional<Bytes>();
  return std::optional<Bytes>(select.Blob(0));
}

}  // namespace vtpmd::ca
