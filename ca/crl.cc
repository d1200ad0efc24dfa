#include "ca/crl.h"

#include <openssl/x509v3.h>

#include <string>

#include "ca/private_key.h"
#include "ca/revocation_reason.h"
#include "ca/x509_time.h"
#include "core/openssl.h"

namespace vtpmd::ca {
namespace {

using CrlPtr = ossl::Owned<X509_CRL, X509_CRL_free>;
using RevokedPtr = ossl::Owned<X509_REVOKED, X509_REVOKED_free>;
using Asn1TimePtr = ossl::Owned<ASN1_TIME, ASN1_TIME_free>;
using Asn1EnumeratedPtr = ossl::Owned<ASN1_ENUMERATED, ASN1_ENUMERATED_free>;

// number 0: the issuer has no CRL yet (CRL numbers start at 1).
struct StoredCrl {
  std::int64_t number = 0;
  TimePoint this_update;
  bool stale = true;
  Bytes der;
};

struct RevokedEntry {
  std::string serial_hex;
  TimePoint revoked_at;
  RevocationReason reason;
};

Result<StoredCrl> LoadStored(Store& store, IssuerRole role) {
  VTPMD_ASSIGN_OR_RETURN(auto select,
                         store.Prepare("SELECT crl_number, this_update, stale, crl_der FROM crls WHERE issuer_role = ?"));
  select.Bind(1, IssuerRoleName(role));
  VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return StoredCrl{};
  return StoredCrl{.number = select.Int(0),
                   .this_update = TimePoint(std::chrono::seconds(select.Int(1))),
                   .stale = select.Int(2) != 0,
                   .der = select.Blob(3)};
}

Result<std::vector<RevokedEntry>> LoadRevoked(Store& store, IssuerRole role) {
  VTPMD_ASSIGN_OR_RETURN(auto select, store.Prepare("SELECT serial, revoked_at, revocation_reason FROM certificates "
                                                    "WHERE issuer_role = ? AND revoked_at IS NOT NULL ORDER BY serial"));
  select.Bind(1, IssuerRoleName(role));
  std::vector<RevokedEntry> entries;
  while (true) {
    VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return entries;
    VTPMD_ASSIGN_OR_RETURN(RevocationReason reason, RevocationReasonFromCode(static_cast<int>(select.Int(2))));
    entries.push_back({select.Text(0), TimePoint(std::chrono::seconds(select.Int(1))), reason});
  }
}

Result<Asn1TimePtr> Asn1Time(TimePoint time) {
  VTPMD_ASSIGN_OR_RETURN(Asn1TimePtr asn1, ossl::CheckPtr(Asn1TimePtr(ASN1_TIME_new()), "ASN1_TIME_new"));
  VTPMD_RETURN_IF_ERROR(SetAsn1Time(asn1.get(), time));
  return asn1;
}

Result<ossl::Asn1IntegerPtr> SerialFromHex(const std::string& hex) {
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, hex.c_str()) != static_cast<int>(hex.size())) {
    BN_free(raw);
    return Internal("recorded serial " + hex + " is not hex");
  }
  ossl::BignumPtr number(raw);
  return ossl::CheckPtr(ossl::Asn1IntegerPtr(BN_to_ASN1_INTEGER(number.get(), nullptr)), "BN_to_ASN1_INTEGER");
}

Status AddEntry(X509_CRL* crl, const RevokedEntry& entry) {
  VTPMD_ASSIGN_OR_RETURN(RevokedPtr revoked, ossl::CheckPtr(RevokedPtr(X509_REVOKED_new()), "X509_REVOKED_new"));
  VTPMD_ASSIGN_OR_RETURN(ossl::Asn1IntegerPtr serial, SerialFromHex(entry.serial_hex));
  VTPMD_RETURN_IF_ERROR(ossl::Check(X509_REVOKED_set_serialNumber(revoked.get(), serial.get()), "set serial"));
  VTPMD_ASSIGN_OR_RETURN(Asn1TimePtr date, Asn1Time(entry.revoked_at));
  VTPMD_RETURN_IF_ERROR(ossl::Check(X509_REVOKED_set_revocationDate(revoked.get(), date.get()), "set date"));
  // RFC 5280 §5.3.1: the reason code is omitted rather than sent as unspecified.
  if (entry.reason != RevocationReason::kUnspecified) {
    VTPMD_ASSIGN_OR_RETURN(Asn1EnumeratedPtr code,
                           ossl::CheckPtr(Asn1EnumeratedPtr(ASN1_ENUMERATED_new()), "ASN1_ENUMERATED_new"));
    VTPMD_RETURN_IF_ERROR(ossl::Check(ASN1_ENUMERATED_set(code.get(), static_cast<int>(entry.reason)), "reason"));
    VTPMD_RETURN_IF_ERROR(
        ossl::Check(X509_REVOKED_add1_ext_i2d(revoked.get(), NID_crl_reason, code.get(), 0, 0), "reason extension"));
  }
  VTPMD_RETURN_IF_ERROR(ossl::Check(X509_CRL_add0_revoked(crl, revoked.get()), "X509_CRL_add0_revoked"));
  revoked.release();  // owned by the CRL now
  return Ok();
}

Status AddCrlExtensions(X509_CRL* crl, const Issuer& issuer, std::int64_t number) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer.certificate.get(), nullptr, nullptr, crl, 0);
  char keyid[] = "keyid:always";
  ossl::X509ExtPtr authority_key_id(X509V3_EXT_conf_nid(nullptr, &context, NID_authority_key_identifier, keyid));
  if (!authority_key_id) return ossl::LastError("authority key identifier");
  VTPMD_RETURN_IF_ERROR(ossl::Check(X509_CRL_add_ext(crl, authority_key_id.get(), -1), "X509_CRL_add_ext"));
  ossl::Asn1IntegerPtr crl_number(ASN1_INTEGER_new());
  if (!crl_number || ASN1_INTEGER_set_int64(crl_number.get(), number) != 1) return ossl::LastError("CRL number");
  return ossl::Check(X509_CRL_add1_ext_i2d(crl, NID_crl_number, crl_number.get(), 0, 0), "CRL number extension");
}

Result<Bytes> SignCrl(const Issuer& issuer, const std::vector<RevokedEntry>& entries, std::int64_t number,
                      TimePoint this_update, TimePoint next_update) {
  VTPMD_ASSIGN_OR_RETURN(CrlPtr crl, ossl::CheckPtr(CrlPtr(X509_CRL_new()), "X509_CRL_new"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2), "X509_CRL_set_version"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.certificate.get())), "set CRL issuer"));
  VTPMD_ASSIGN_OR_RETURN(Asn1TimePtr last, Asn1Time(this_update));
  VTPMD_ASSIGN_OR_RETURN(Asn1TimePtr next, Asn1Time(next_update));
  VTPMD_RETURN_IF_ERROR(ossl::Check(X509_CRL_set1_lastUpdate(crl.get(), last.get()), "set lastUpdate"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(X509_CRL_set1_nextUpdate(crl.get(), next.get()), "set nextUpdate"));
  for (const RevokedEntry& entry : entries) VTPMD_RETURN_IF_ERROR(AddEntry(crl.get(), entry));
  VTPMD_RETURN_IF_ERROR(ossl::Check(X509_CRL_sort(crl.get()), "X509_CRL_sort"));
  VTPMD_RETURN_IF_ERROR(AddCrlExtensions(crl.get(), issuer, number));
  VTPMD_ASSIGN_OR_RETURN(const EVP_MD* digest, IssuerSigningDigest(issuer.private_key.get()));
  if (X509_CRL_sign(crl.get(), issuer.private_key.get(), digest) <= 0) return ossl::LastError("X509_CRL_sign");
  unsigned char* der = nullptr;
  const int length = i2d_X509_CRL(crl.get(), &der);
  if (length <= 0) return ossl::LastError("i2d_X509_CRL");
  Bytes out(der, der + length);
  OPENSSL_free(der);
  return out;
}

bool Fresh(const StoredCrl& stored, TimePoint now, std::chrono::seconds lifetime) {
  return stored.number > 0 && !stored.stale && now >= stored.this_update && now < stored.this_update + lifetime / 2;
}

}  // namespace

Result<Bytes> CurrentCrl(Store& store, const Issuer& issuer, TimePoint now, std::chrono::seconds lifetime) {
  if (lifetime < std::chrono::minutes(2)) return InvalidArgument("a CRL must live at least two minutes");
  Bytes current;
  VTPMD_RETURN_IF_ERROR(store.Transaction([&]() -> Status {
    VTPMD_ASSIGN_OR_RETURN(StoredCrl stored, LoadStored(store, issuer.role));
    if (Fresh(stored, now, lifetime)) {
      current = std::move(stored.der);
      return Ok();
    }
    const std::int64_t number = stored.number + 1;
    const TimePoint this_update = std::chrono::time_point_cast<std::chrono::seconds>(now);
    VTPMD_ASSIGN_OR_RETURN(std::vector<RevokedEntry> entries, LoadRevoked(store, issuer.role));
    VTPMD_ASSIGN_OR_RETURN(current, SignCrl(issuer, entries, number, this_update, this_update + lifetime));
    VTPMD_ASSIGN_OR_RETURN(auto upsert,
                           store.Prepare("INSERT INTO crls(issuer_role, crl_number, this_update, next_update, crl_der, "
                                         "stale) VALUES(?, ?, ?, ?, ?, 0) ON CONFLICT(issuer_role) DO UPDATE SET "
                                         "crl_number = excluded.crl_number, this_update = excluded.this_update, "
                                         "next_update = excluded.next_update, crl_der = excluded.crl_der, stale = 0"));
    upsert.Bind(1, IssuerRoleName(issuer.role))
        .Bind(2, number)
        .Bind(3, ToUnixSeconds(this_update))
        .Bind(4, ToUnixSeconds(this_update + lifetime))
        .Bind(5, ByteView(current));
    return upsert.Run();
  }));
  return current;
}

}  // namespace vtpmd::ca
