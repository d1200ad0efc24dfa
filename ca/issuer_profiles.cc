#include "ca/issuer_profiles.h"

#include <chrono>
#include <string>

#include "ca/certificate_builder.h"

namespace vtpmd::ca {
namespace {

constexpr std::string_view kServerAuthOid = "1.3.6.1.5.5.7.3.1";
constexpr std::string_view kClientAuthOid = "1.3.6.1.5.5.7.3.2";

std::chrono::seconds Years(int years) {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::years(years));
}

std::string CommonName(IssuerRole role) {
  switch (role) {
    case IssuerRole::kRoot: return "vtpmd root CA";
    case IssuerRole::kEkAuthority: return "vtpmd EK authority";
    case IssuerRole::kPrivacyCa: return "vtpmd privacy CA";
    case IssuerRole::kAttestationSigner: return "vtpmd attestation-result signer";
    case IssuerRole::kHostTls: return "vtpmd host identity";
    case IssuerRole::kDevManufacturer: return "vtpmd development TPM manufacturer (SIMULATED)";
  }
  return "vtpmd";
}

CertificateBuilder Profile(IssuerRole role, EVP_PKEY* subject_key, const CaOptions& options, const Clock& clock) {
  CertificateBuilder builder(subject_key);
  builder.SetSubject({.common_name = CommonName(role),
                      .organization = options.organization,
                      .organizational_unit = options.host_name});
  switch (role) {
    case IssuerRole::kRoot:
    case IssuerRole::kDevManufacturer:
      builder.SetValidity(clock, Years(20))
          .SetBasicConstraints(true, std::nullopt)
          .SetKeyUsage({.key_cert_sign = true, .crl_sign = true});
      break;
    case IssuerRole::kEkAuthority:
    case IssuerRole::kPrivacyCa:
      // The privacy CA certifies host signing keys that in turn sign AIK'
      // certificates (method aik-certifies-aik), so it allows one CA below it.
      builder.SetValidity(clock, Years(10))
          .SetBasicConstraints(true, role == IssuerRole::kPrivacyCa ? 1 : 0)
          .SetKeyUsage({.key_cert_sign = true, .crl_sign = true});
      break;
    case IssuerRole::kAttestationSigner:
      builder.SetValidity(clock, Years(3))
          .SetBasicConstraints(false, std::nullopt)
          .SetKeyUsage({.digital_signature = true});
      break;
    case IssuerRole::kHostTls:
      // RSA key exchange (TLS 1.2 without ECDHE) needs keyEncipherment; ECDSA keys never do.
      builder.SetValidity(clock, Years(1))
          .SetBasicConstraints(false, std::nullopt)
          .SetKeyUsage({.digital_signature = true,
                        .key_encipherment = EVP_PKEY_get_base_id(subject_key) == EVP_PKEY_RSA})
          .SetExtendedKeyUsage({std::string(kServerAuthOid), std::string(kClientAuthOid)})
          .SetSubjectAltNames({.dns_names = options.tls_dns_names, .ip_addresses = options.tls_ip_addresses},
                              false);
      break;
  }
  return builder;
}

}  // namespace

bool IsSelfSignedRole(IssuerRole role) { return role == IssuerRole::kRoot || role == IssuerRole::kDevManufacturer; }

Result<ossl::X509Ptr> IssueRoleCertificate(IssuerRole role, EVP_PKEY* subject_key, const Issuer* signer,
                                           const CaOptions& options, const Clock& clock, Rng& rng) {
  const bool self_signed = IsSelfSignedRole(role);
  if (!self_signed && signer == nullptr) return Internal("no signer for the " + std::string(IssuerRoleName(role)));
  const CertificateBuilder builder = Profile(role, subject_key, options, clock);
  Result<ossl::X509Ptr> certificate =
      self_signed ? builder.SelfSign(subject_key, rng)
                  : builder.SignWith(signer->certificate.get(), signer->private_key.get(), rng);
  if (!certificate.ok()) {
    return certificate.error().WithContext("issuing the " + std::string(IssuerRoleName(role)) + " certificate");
  }
  return certificate;
}

}  // namespace vtpmd::ca
