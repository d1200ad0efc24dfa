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

Status RecordCertificate(Store& store, IssuerRole issuer, std::string_view kind, X509* certificate) {
  VTPMD_ASSIGN_OR_RETURN(std::string serial, SerialHex(certificate));
  VTPMD_ASSIGN_OR_RETURN(std::string subject, SubjectText(certificate));
  VTPMD_ASSIGN_OR_RETURN(Bytes der, ossl::CertificateDer(certificate));
  VTPMD_ASSIGN_OR_RETURN(TimePoint not_before, ToTimePoint(X509_get0_notBefore(certificate)));
  VTPMD_ASSIGN_OR_RETURN(TimePoint not_after, ToTimePoint(X509_get0_notAfter(certificate)));
  VTPMD_ASSIGN_OR_RETURN(
      Statement insert,
      store.Prepare("INSERT INTO certificates(serial, issuer_role, kind, subject, certificate_der, not_before, "
                    "not_after) VALUES(?, ?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, serial)
      .Bind(2, IssuerRoleName(issuer))
      .Bind(3, kind)
      .Bind(4, subject)
      .Bind(5, ByteView(der))
      .Bind(6, ToUnixSeconds(not_before))
      .Bind(7, ToUnixSeconds(not_after));
  return insert.Run();
}

Result<std::optional<Bytes>> FindCertificateDer(Store& store, std::string_view serial) {
  VTPMD_ASSIGN_OR_RETURN(auto select, store.Prepare("SELECT certificate_der FROM certificates WHERE serial = ?"));
  select.Bind(1, serial);
  VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return std::optional<Bytes>();
  return std::optional<Bytes>(select.Blob(0));
}

}  // namespace vtpmd::ca
