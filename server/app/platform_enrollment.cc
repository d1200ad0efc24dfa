#include "server/app/platform_enrollment.h"

#include "ca/aik_certificate.h"
#include "ca/certificate_record.h"
#include "ca/host_signing_key.h"
#include "core/tpm_keys.h"
#include "core/tpm_signature.h"
#include "core/tpm_wire.h"

namespace vtpmd::app {
namespace {

// Earlier keys (another TPM, a cleared one) are told apart by their public key.
Result<ossl::X509Ptr> FindCurrent(Store& store, std::string_view kind, EVP_PKEY* key, TimePoint now) {
  ca::CertificateFilter filter;
  filter.kind = std::string(kind);
  filter.status = ca::CertificateStatus::kValid;
  while (true) {
    VTPMD_ASSIGN_OR_RETURN(std::vector<ca::CertificateRecord> page, ca::ListCertificates(store, filter, now));
    for (const ca::CertificateRecord& record : page) {
      VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr certificate, ossl::ParseCertificateDer(record.der));
      if (EVP_PKEY_eq(X509_get0_pubkey(certificate.get()), key) == 1) return certificate;
    }
    if (page.size() < filter.limit) return ossl::X509Ptr();
    filter.after_serial = page.back().serial;
  }
}

}  // namespace

Result<ossl::X509Ptr> EnsurePlatformAikCertificate(vtpm::PlatformTpm& platform, EnrollmentService& enrollment,
                                                   Store& store, X509* rsa_ek_certificate, const std::string& host_name,
                                                   const Clock& clock) {
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr aik_key, tpm::PublicKeyFromTpm(platform.aik().publicArea));
  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr existing, FindCurrent(store, ca::kPlatformAikKind, aik_key.get(), clock.Now()));
  if (existing) return existing;

  VTPMD_ASSIGN_OR_RETURN(Bytes aik_public, tpm::MarshalPublic(platform.aik()));
  VTPMD_ASSIGN_OR_RETURN(
      ca::IssuedChallenge challenge,
      enrollment.ChallengePlatform(rsa_ek_certificate, platform.ek_rsa().publicArea, aik_public, host_name));
  VTPMD_ASSIGN_OR_RETURN(SecretBytes secret, platform.ActivateCredential(challenge.credential.id_object,
                                                                         challenge.credential.encrypted_secret));
  VTPMD_ASSIGN_OR_RETURN(ca::Enrollment enrolled, enrollment.Activate(challenge.id, secret));
  // Parsed again so the host signing key's certification can read its key.
  VTPMD_ASSIGN_OR_RETURN(Bytes der, ossl::CertificateDer(enrolled.certificate.get()));
  return ossl::ParseCertificateDer(der);
}

Result<ca::TpmCertificateSigner> EnsureHostSigner(vtpm::PlatformTpm& platform, const ca::CaHierarchy& hierarchy,
                                                  X509* platform_aik_certificate, Store& store,
                                                  const std::string& host_name, const Clock& clock, Rng& rng) {
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr key, tpm::PublicKeyFromTpm(platform.host_signing_key().publicArea));
  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr certificate, FindCurrent(store, ca::kHostSignerKind, key.get(), clock.Now()));
  if (!certificate) {
    VTPMD_ASSIGN_OR_RETURN(Bytes nonce, rng.Generate(32));
    VTPMD_ASSIGN_OR_RETURN(vtpm::CertifyResult certified, platform.CertifyHostSigningKey(nonce));
    VTPMD_ASSIGN_OR_RETURN(Bytes key_public, tpm::MarshalPublic(platform.host_signing_key()));
    VTPMD_ASSIGN_OR_RETURN(const ca::Issuer* privacy_ca, hierarchy.issuer(ca::IssuerRole::kPrivacyCa));
    const ca::HostKeyEvidence evidence{std::move(key_public), std::move(certified.attest),
                                       std::move(certified.signature)};
    VTPMD_ASSIGN_OR_RETURN(certificate,
                           ca::IssueHostSigningKeyCertificate(*privacy_ca, platform_aik_certificate, evidence, nonce,
                                                              host_name, store, clock, rng));
  }
  return ca::TpmCertificateSigner::Create(std::move(certificate), [&platform](ByteView to_be_signed) -> Result<Bytes> {
    VTPMD_ASSIGN_OR_RETURN(Bytes signature, platform.SignWithHostKey(to_be_signed));
    VTPMD_ASSIGN_OR_RETURN(TPMT_SIGNATURE parsed, tpm::ParseSignature(signature));
    return tpm::EcdsaSignatureDer(parsed);
  });
}

}  // namespace vtpmd::app
