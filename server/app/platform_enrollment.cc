#include "server/app/platform_enrollment.h"

#include "ca/aik_certificate.h"
#include "ca/certificate_record.h"
#include "core/tpm_keys.h"
#include "core/tpm_wire.h"

namespace vtpmd::app {
namespace {

// Earlier platform AIKs (another TPM, a cleared one) are told apart by their key.
Result<ossl::X509Ptr> FindCurrent(Store& store, EVP_PKEY* aik_key, TimePoint now) {
  ca::CertificateFilter filter;
  filter.kind = ca::kPlatformAikKind;
  filter.status = ca::CertificateStatus::kValid;
  while (true) {
    VTPMD_ASSIGN_OR_RETURN(std::vector<ca::CertificateRecord> page, ca::ListCertificates(store, filter, now));
    for (const ca::CertificateRecord& record : page) {
      VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr certificate, ossl::ParseCertificateDer(record.der));
      if (EVP_PKEY_eq(X509_get0_pubkey(certificate.get()), aik_key) == 1) return certificate;
    }
    if (page.size() < filter.limit) return ossl::X509Ptr();
    filter.after_serial = page.back().serial;
  }
}

}  // namespace

Result<ossl::X509Ptr> EnsurePlatformAikCertificate(vtpm::PlatformTpm& platform, EnrollmentService& enrollment,
                                                   Store& store, X509* rsa_ek_certificate,
                                                   const std::string& host_name, const Clock& clock) {
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr aik_key, tpm::PublicKeyFromTpm(platform.aik().publicArea));
  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr existing, FindCurrent(store, aik_key.get(), clock.Now()));
  if (existing) return existing;

  VTPMD_ASSIGN_OR_RETURN(Bytes aik_public, tpm::MarshalPublic(platform.aik()));
  VTPMD_ASSIGN_OR_RETURN(ca::IssuedChallenge challenge,
                         enrollment.ChallengePlatform(rsa_ek_certificate, platform.ek_rsa().publicArea, aik_public,
                                                      host_name));
  VTPMD_ASSIGN_OR_RETURN(SecretBytes secret, platform.ActivateCredential(challenge.credential.id_object,
                                                                         challenge.credential.encrypted_secret));
  VTPMD_ASSIGN_OR_RETURN(ca::Enrollment enrolled, enrollment.Activate(challenge.id, secret));
  return std::move(enrolled.certificate);
}

}  // namespace vtpmd::app
