#include "server/app/platform_endorsement.h"

#include "ca/chain_verifier.h"
#include "ca/ek_certificate.h"
#include "core/openssl.h"
#include "core/tpm_keys.h"

namespace vtpmd::app {
namespace {

constexpr std::chrono::hours kSimulatedEkCertificateValidity{24 * 365 * 20};

// Why a certificate does not certify `ek` under `anchors`; empty when it does.
Result<std::string> CheckEkCertificate(ByteView der, const TPM2B_PUBLIC& ek, std::span<X509* const> anchors,
                                       TimePoint now) {
  auto cert = ossl::ParseCertificateDer(der);
  if (!cert.ok()) return "not a certificate: " + cert.error().message();
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr ek_key, tpm::PublicKeyFromTpm(ek.publicArea));
  EVP_PKEY* certified = X509_get0_pubkey(cert->get());
  if (certified == nullptr || EVP_PKEY_eq(certified, ek_key.get()) != 1) {
    return std::string("certifies a different key than the TPM's EK");
  }
  Status chain = ca::VerifyCertificateChain(cert->get(), {}, anchors, now);
  if (!chain.ok()) return chain.error().message();
  return std::string();
}

Status IssueSimulatedEkCertificate(vtpm::PlatformTpm& platform, const ca::Issuer& manufacturer,
                                   const TPM2B_PUBLIC& ek, TPM2_HANDLE nv_index, Store& store,
                                   const Clock& clock, Rng& rng) {
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr ek_key, tpm::PublicKeyFromTpm(ek.publicArea));
  const vtpm::PlatformIdentity& identity = platform.identity();
  ca::EkCertificateRequest request{ek_key.get(),
                                   {identity.manufacturer_id, identity.vendor, identity.firmware_version},
                                   "",
                                   kSimulatedEkCertificateValidity};
  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr cert, ca::IssueEkCertificate(manufacturer, request, store, clock, rng));
  VTPMD_ASSIGN_OR_RETURN(Bytes der, ossl::CertificateDer(cert.get()));
  return platform.WriteNvCertificate(nv_index, der);
}

}  // namespace

std::string_view EkCertificateStatusName(EkCertificateStatus status) {
  switch (status) {
    case EkCertificateStatus::kVerified: return "verified";
    case EkCertificateStatus::kUntrusted: return "untrusted";
    case EkCertificateStatus::kAbsent: return "absent";
  }
  return "absent";
}

Result<std::vector<PlatformEkCertificate>> EstablishPlatformEkCertificates(
    vtpm::PlatformTpm& platform, const ca::CaHierarchy& hierarchy, Store& store,
    std::span<X509* const> manufacturer_roots, const Clock& clock, Rng& rng) {
  std::vector<X509*> anchors(manufacturer_roots.begin(), manufacturer_roots.end());
  const ca::Issuer* manufacturer = nullptr;
  if (platform.simulated()) {
    VTPMD_ASSIGN_OR_RETURN(manufacturer, hierarchy.issuer(ca::IssuerRole::kDevManufacturer));
    anchors.push_back(manufacturer->certificate.get());
  }

  std::vector<PlatformEkCertificate> out;
  const std::pair<TPM2_HANDLE, TPM2_HANDLE> slots[] = {{vtpm::kEkRsaHandle, vtpm::kEkRsaCertIndex},
                                                       {vtpm::kEkEccHandle, vtpm::kEkEccCertIndex}};
  for (const auto& [key_handle, nv_index] : slots) {
    const TPM2B_PUBLIC& ek = key_handle == vtpm::kEkRsaHandle ? platform.ek_rsa() : platform.ek_ecc();
    VTPMD_ASSIGN_OR_RETURN(std::optional<Bytes> der, platform.ReadNv(nv_index));
    std::string problem = der ? "" : "no certificate in NV";
    if (der) {
      VTPMD_ASSIGN_OR_RETURN(problem, CheckEkCertificate(*der, ek, anchors, clock.Now()));
    }
    // A simulated TPM has no vendor: make one up, once, and then check it like any other.
    if (!problem.empty() && platform.simulated()) {
      VTPMD_RETURN_IF_ERROR(IssueSimulatedEkCertificate(platform, *manufacturer, ek, nv_index, store, clock, rng));
      VTPMD_ASSIGN_OR_RETURN(der, platform.ReadNv(nv_index));
      if (!der) return Internal("EK certificate written to NV could not be read back");
      VTPMD_ASSIGN_OR_RETURN(problem, CheckEkCertificate(*der, ek, anchors, clock.Now()));
    }
    const EkCertificateStatus status = !der ? EkCertificateStatus::kAbsent
                                       : problem.empty() ? EkCertificateStatus::kVerified
                                                         : EkCertificateStatus::kUntrusted;
    out.push_back({key_handle, nv_index, ek, std::move(der), status, std::move(problem)});
  }
  return out;
}

}  // namespace vtpmd::app
