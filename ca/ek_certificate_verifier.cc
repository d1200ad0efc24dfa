#include "ca/ek_certificate_verifier.h"

#include <algorithm>
#include <string>

#include "ca/certificate_record.h"
#include "ca/chain_verifier.h"
#include "ca/ek_certificate.h"
#include "ca/extended_key_usage.h"
#include "ca/serial_number.h"
#include "ca/x509_time.h"

namespace vtpmd::ca {
namespace {

using Asn1ObjectPtr = ossl::Owned<ASN1_OBJECT, ASN1_OBJECT_free>;

// Manufacturers that omit the EKU still name the TPM in a subjectAltName
// directoryName (TCG EK Credential Profile §3.2.9).
bool NamesTpmManufacturer(X509* certificate) {
  Asn1ObjectPtr manufacturer(OBJ_txt2obj(std::string(tcg::kTpmManufacturerOid).c_str(), 1));
  ossl::GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  if (!manufacturer || !names) return false;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_DIRNAME) continue;
    if (X509_NAME_get_index_by_OBJ(name->d.directoryName, manufacturer.get(), -1) >= 0) return true;
  }
  return false;
}

bool HasEkExtendedKeyUsageExtension(X509* certificate) {
  return X509_get_ext_by_NID(certificate, NID_ext_key_usage, -1) >= 0;
}

}  // namespace

Result<EkCertificateVerifier> EkCertificateVerifier::Create(Store& store, const CaHierarchy& hierarchy,
                                                            std::vector<ossl::X509Ptr> manufacturer_certificates) {
  VTPMD_ASSIGN_OR_RETURN(const Issuer* root, hierarchy.issuer(IssuerRole::kRoot));
  VTPMD_ASSIGN_OR_RETURN(const Issuer* ek_authority, hierarchy.issuer(IssuerRole::kEkAuthority));
  EkCertificateVerifier verifier(store, std::move(manufacturer_certificates), ek_authority->certificate.get());
  verifier.anchors_.push_back(root->certificate.get());
  verifier.intermediates_.push_back(ek_authority->certificate.get());
  if (auto manufacturer = hierarchy.issuer(IssuerRole::kDevManufacturer); manufacturer.ok()) {
    verifier.anchors_.push_back((*manufacturer)->certificate.get());
  }
  for (const ossl::X509Ptr& certificate : verifier.owned_) {
    const bool self_signed = X509_check_issued(certificate.get(), certificate.get()) == X509_V_OK;
    (self_signed ? verifier.anchors_ : verifier.intermediates_).push_back(certificate.get());
  }
  std::vector<X509*> trusted = verifier.anchors_;
  trusted.insert(trusted.end(), verifier.intermediates_.begin(), verifier.intermediates_.end());
  VTPMD_ASSIGN_OR_RETURN(verifier.trust_window_, CommonValidity(trusted));
  return verifier;
}

Result<std::pair<EkCertificateVerifier::Origin, ValidityWindow>> EkCertificateVerifier::VerifyChain(X509* ek_certificate, TimePoint now) const {
  if (X509_check_ca(ek_certificate) != 0) return Unsupported("the EK certificate is a CA certificate");
  // With an EKU it must be the EK one; without, the TCG SAN must name the TPM.
  const bool is_ek = HasEkExtendedKeyUsageExtension(ek_certificate)
                         ? HasExtendedKeyUsage(ek_certificate, tcg::kEkCertificateOid)
                         : NamesTpmManufacturer(ek_certificate);
  if (!is_ek) return Unsupported("the certificate is not an EK certificate (no TCG EK usage or TPM identity)");
  Status chained = VerifyCertificateChain(ek_certificate, intermediates_, anchors_, now);
  if (!chained.ok()) return Unsupported("the EK certificate is not trusted: " + chained.error().message());
  X509* const leaf[] = {ek_certificate};
  VTPMD_ASSIGN_OR_RETURN(ValidityWindow window, CommonValidity(leaf));
  const Origin origin =
      X509_check_issued(ek_authority_, ek_certificate) == X509_V_OK ? Origin::kLocalAuthority : Origin::kManufacturer;
  return std::pair{origin, ValidityWindow{std::max(window.from, trust_window_.from),
                                          std::min(window.until, trust_window_.until)}};
}

Result<EkCertificateVerifier::Origin> EkCertificateVerifier::Verify(X509* ek_certificate, TimePoint now) const {
  if (ek_certificate == nullptr) return InvalidArgument("no EK certificate");
  VTPMD_ASSIGN_OR_RETURN(Bytes der, ossl::CertificateDer(ek_certificate));
  std::string key(AsChars(der));
  std::optional<Origin> origin = trusted_->Find(key, now);
  if (!origin) {
    VTPMD_ASSIGN_OR_RETURN(auto verdict, VerifyChain(ek_certificate, now));
    origin = verdict.first;
    trusted_->Remember(std::move(key), verdict.first, verdict.second.from, verdict.second.until);
  }
  // For certificates issued here, the store is the authority on revocation.
  VTPMD_ASSIGN_OR_RETURN(std::string serial, SerialHex(ek_certificate));
  VTPMD_ASSIGN_OR_RETURN(std::optional<CertificateRecord> recorded, FindCertificate(*store_, serial));
  if (recorded && recorded->der == der && recorded->revoked_at) {
    return Unsupported("the EK certificate " + serial + " was revoked (" +
                       std::string(RevocationReasonName(recorded->revocation_reason)) + ")");
  }
  return *origin;
}

}  // namespace vtpmd::ca
