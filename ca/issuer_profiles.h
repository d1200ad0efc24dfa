#pragma once
// What each issuer's certificate looks like: subject, lifetime and extensions per role.

#include "ca/ca_options.h"
#include "ca/issuer.h"
#include "core/clock.h"
#include "core/openssl.h"
#include "core/random.h"
#include "core/result.h"

namespace vtpmd::ca {

// Roots (IssuerRole::kRoot, kDevManufacturer) are self-signed and take no `signer`;
// every other role is signed by `signer`, the root.
Result<ossl::X509Ptr> IssueRoleCertificate(IssuerRole role, EVP_PKEY* subject_key, const Issuer* signer,
                                           const CaOptions& options, const Clock& clock, Rng& rng);

bool IsSelfSignedRole(IssuerRole role);

}  // namespace vtpmd::ca
