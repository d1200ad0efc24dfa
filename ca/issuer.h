#pragma once
// A certificate authority (or signing identity) of the hierarchy: its role, its
// certificate and its private key.

#include <array>
#include <string_view>

#include "core/openssl.h"
#include "core/result.h"

namespace vtpmd::ca {

enum class IssuerRole { kRoot, kEkAuthority, kPrivacyCa, kAttestationSigner, kHostTls, kDevManufacturer };

inline constexpr std::array<IssuerRole, 6> kAllIssuerRoles = {
    IssuerRole::kRoot,    IssuerRole::kEkAuthority, IssuerRole::kPrivacyCa, IssuerRole::kAttestationSigner,
    IssuerRole::kHostTls, IssuerRole::kDevManufacturer};

// Stable names: they key the ca_issuers table and the sealed keys' AAD.
std::string_view IssuerRoleName(IssuerRole role);
Result<IssuerRole> IssuerRoleFromName(std::string_view name);

struct Issuer {
  IssuerRole role;
  ossl::X509Ptr certificate;
  ossl::PkeyPtr private_key;
};

}  // namespace vtpmd::ca
