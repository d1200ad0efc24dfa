#include "ca/issuer.h"

#include <string>

namespace vtpmd::ca {

std::string_view IssuerRoleName(IssuerRole role) {
  switch (role) {
    case IssuerRole::kRoot: return "root";
    case IssuerRole::kEkAuthority: return "ek-authority";
    case IssuerRole::kPrivacyCa: return "privacy-ca";
    case IssuerRole::kAttestationSigner: return "attestation-signer";
    case IssuerRole::kHostTls: return "host-tls";
    case IssuerRole::kDevManufacturer: return "dev-manufacturer";
  }
  return "unknown";
}

Result<IssuerRole> IssuerRoleFromName(std::string_view name) {
  for (IssuerRole role : kAllIssuerRoles) {
    if (IssuerRoleName(role) == name) return role;
  }
  return InvalidArgument("unknown CA issuer role \"" + std::string(name) + "\"");
}

}  // namespace vtpmd::ca
