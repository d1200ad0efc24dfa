#include "ca/issuer_store.h"

#include <string>

#include "ca/certificate_record.h"
#include "ca/private_key.h"
#include "ca/x509_time.h"
#include "core/crypto.h"

namespace vtpmd::ca {
namespace {

std::string KeyAad(IssuerRole role) { return "vtpmd/ca-key/v1/" + std::string(IssuerRoleName(role)); }

std::string RoleContext(IssuerRole role) { return "CA issuer '" + std::string(IssuerRoleName(role)) + "'"; }

Result<Issuer> DecodeIssuer(IssuerRole role, ByteView certificate_der, ByteView sealed_key,
                            const SecretBytes& data_key) {
  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr certificate, ossl::ParseCertificateDer(certificate_der));
  Result<SecretBytes> pkcs8 = AesGcmOpen(data_key, sealed_key, AsBytes(KeyAad(role)));
  if (!pkcs8.ok()) {
    return FailedPrecondition("private key does not decrypt (wrong data key or tampered record): " +
                              pkcs8.error().message());
  }
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr private_key, ImportPkcs8Der(*pkcs8));
  if (X509_check_private_key(certificate.get(), private_key.get()) != 1) {
    return ossl::LastError("private key does not match the certificate", ErrorCode::kFailedPrecondition);
  }
  return Issuer{role, std::move(certificate), std::move(private_key)};
}

}  // namespace

Status SaveIssuer(Store& store, const Issuer& issuer, IssuerRole signed_by, const SecretBytes& data_key,
                  TimePoint now, Rng& rng) {
  VTPMD_ASSIGN_OR_RETURN(Bytes certificate_der, ossl::CertificateDer(issuer.certificate.get()));
  VTPMD_ASSIGN_OR_RETURN(SecretBytes pkcs8, ExportPkcs8Der(issuer.private_key.get()));
  VTPMD_ASSIGN_OR_RETURN(Bytes sealed, AesGcmSeal(data_key, pkcs8.view(), AsBytes(KeyAad(issuer.role)), rng));
  VTPMD_ASSIGN_OR_RETURN(
      Statement upsert,
      store.Prepare("INSERT INTO ca_issuers(role, certificate_der, private_key_sealed, created_at) "
                    "VALUES(?, ?, ?, ?) ON CONFLICT(role) DO UPDATE SET certificate_der = excluded.certificate_der, "
                    "private_key_sealed = excluded.private_key_sealed, created_at = excluded.created_at"));
  upsert.Bind(1, IssuerRoleName(issuer.role))
      .Bind(2, ByteView(certificate_der))
      .Bind(3, ByteView(sealed))
      .Bind(4, ToUnixSeconds(now));
  VTPMD_RETURN_IF_ERROR(upsert.Run());
  return RecordCertificate(store, signed_by, IssuerRoleName(issuer.role), issuer.certificate.get());
}

Result<std::optional<Issuer>> LoadIssuer(Store& store, IssuerRole role, const SecretBytes& data_key) {
  VTPMD_ASSIGN_OR_RETURN(Statement select,
                         store.Prepare("SELECT certificate_der, private_key_sealed FROM ca_issuers WHERE role = ?"));
  select.Bind(1, IssuerRoleName(role));
  VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return std::optional<Issuer>();
  Result<Issuer> issuer = DecodeIssuer(role, select.Blob(0), select.Blob(1), data_key);
  if (!issuer.ok()) return issuer.error().WithContext(RoleContext(role));
  return std::optional<Issuer>(std::move(issuer).value());
}

}  // namespace vtpmd::ca
