#include "ca/hierarchy.h"

#include <array>
#include <span>
#include <string>

#include "ca/chain_verifier.h"
#include "ca/host_tls_renewal.h"
#include "ca/issuer_profiles.h"
#include "ca/issuer_store.h"
#include "ca/private_key.h"

namespace vtpmd::ca {
namespace {

using IssuerMap = std::map<IssuerRole, Issuer>;

constexpr std::size_t kDataKeySize = 32;
constexpr std::array kRequiredRoles = {IssuerRole::kRoot, IssuerRole::kEkAuthority, IssuerRole::kPrivacyCa,
                                       IssuerRole::kAttestationSigner, IssuerRole::kHostTls};
constexpr std::array kRootSignedRoles = {IssuerRole::kEkAuthority, IssuerRole::kPrivacyCa,
                                         IssuerRole::kAttestationSigner, IssuerRole::kHostTls};

std::string RoleName(IssuerRole role) { return std::string(IssuerRoleName(role)); }

Result<Issuer> NewIssuer(IssuerRole role, KeyAlgorithm algorithm, const Issuer* signer, const CaOptions& options,
                         const Clock& clock, Rng& rng) {
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr key, GeneratePrivateKey(algorithm));
  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr certificate,
                         IssueRoleCertificate(role, key.get(), signer, options, clock, rng));
  return Issuer{role, std::move(certificate), std::move(key)};
}

// Saves the issuers in one transaction: a crash midway leaves none of them. The root
// comes first in IssuerRole order, so the records of what it signed can refer to it.
Status SaveAll(Store& store, const std::vector<const Issuer*>& issuers, const SecretBytes& data_key,
               const Clock& clock, Rng& rng) {
  return store.Transaction([&]() -> Status {
    for (const Issuer* issuer : issuers) {
      const IssuerRole signed_by = IsSelfSignedRole(issuer->role) ? issuer->role : IssuerRole::kRoot;
      VTPMD_RETURN_IF_ERROR(SaveIssuer(store, *issuer, signed_by, data_key, clock.Now(), rng));
    }
    return Ok();
  });
}

Result<IssuerMap> CreateIssuers(const CaOptions& options, const Clock& clock, Rng& rng) {
  IssuerMap issuers;
  VTPMD_ASSIGN_OR_RETURN(Issuer root, NewIssuer(IssuerRole::kRoot, options.algorithm, nullptr, options, clock, rng));
  for (IssuerRole role : kRootSignedRoles) {
    VTPMD_ASSIGN_OR_RETURN(Issuer issuer, NewIssuer(role, options.algorithm, &root, options, clock, rng));
    issuers.emplace(role, std::move(issuer));
  }
  issuers.emplace(IssuerRole::kRoot, std::move(root));
  if (options.simulated_platform) {
    VTPMD_ASSIGN_OR_RETURN(Issuer manufacturer, NewIssuer(IssuerRole::kDevManufacturer, options.algorithm, nullptr,
                                                          options, clock, rng));
    issuers.emplace(IssuerRole::kDevManufacturer, std::move(manufacturer));
  }
  return issuers;
}

Result<IssuerMap> LoadIssuers(Store& store, const SecretBytes& data_key) {
  IssuerMap issuers;
  for (IssuerRole role : kAllIssuerRoles) {
    VTPMD_ASSIGN_OR_RETURN(std::optional<Issuer> issuer, LoadIssuer(store, role, data_key));
    if (issuer) issuers.emplace(role, std::move(*issuer));
  }
  return issuers;
}

// Fills in what a later start may add to a stored hierarchy: the development manufacturer
// (the platform became simulated) and a fresh host TLS identity.
Status CompleteStoredIssuers(IssuerMap& issuers, Store& store, const SecretBytes& data_key, const CaOptions& options,
                             const Clock& clock, Rng& rng) {
  for (IssuerRole role : kRequiredRoles) {
    if (!issuers.contains(role)) {
      return FailedPrecondition("CA issuer '" + RoleName(role) +
                                "' is missing from the store; refusing to run with a partial CA hierarchy");
    }
  }
  const Issuer& root = issuers.at(IssuerRole::kRoot);
  VTPMD_ASSIGN_OR_RETURN(KeyAlgorithm algorithm, IdentifyKeyAlgorithm(root.private_key.get()));
  if (options.simulated_platform && !issuers.contains(IssuerRole::kDevManufacturer)) {
    VTPMD_ASSIGN_OR_RETURN(Issuer manufacturer,
                           NewIssuer(IssuerRole::kDevManufacturer, algorithm, nullptr, options, clock, rng));
    VTPMD_RETURN_IF_ERROR(SaveAll(store, {&manufacturer}, data_key, clock, rng));
    issuers.emplace(IssuerRole::kDevManufacturer, std::move(manufacturer));
  }
  VTPMD_ASSIGN_OR_RETURN(bool reissue,
                         HostTlsNeedsReissue(issuers.at(IssuerRole::kHostTls).certificate.get(), options, clock));
  if (reissue) {
    VTPMD_ASSIGN_OR_RETURN(Issuer host_tls, NewIssuer(IssuerRole::kHostTls, algorithm, &root, options, clock, rng));
    VTPMD_RETURN_IF_ERROR(SaveAll(store, {&host_tls}, data_key, clock, rng));
    issuers.at(IssuerRole::kHostTls) = std::move(host_tls);
  }
  return Ok();
}

// Every issuer chains to its anchor (the root, or itself for self-signed roots) at the
// clock's time, so a substituted or expired certificate stops the start.
Status VerifyAll(const IssuerMap& issuers, const Clock& clock) {
  X509* root = issuers.at(IssuerRole::kRoot).certificate.get();
  for (const auto& [role, issuer] : issuers) {
    X509* const anchor = IsSelfSignedRole(role) ? issuer.certificate.get() : root;
    Status verified = VerifyCertificateChain(issuer.certificate.get(), {}, std::span(&anchor, 1), clock.Now());
    if (!verified.ok()) {
      return FailedPrecondition("CA issuer '" + RoleName(role) + "': " + verified.error().message());
    }
  }
  return Ok();
}

// What ChainPem appends to a leaf issued by each role: its certificate, then the
// root's for an issuer under the root.
Result<std::map<IssuerRole, std::string>> IssuerChainPems(const IssuerMap& issuers) {
  std::map<IssuerRole, std::string> pems;
  for (const auto& [role, issuer] : issuers) {
    VTPMD_ASSIGN_OR_RETURN(std::string chain, ossl::CertificatePem(issuer.certificate.get()));
    if (!IsSelfSignedRole(role)) {
      const auto root = issuers.find(IssuerRole::kRoot);
      if (root == issuers.end()) return Internal("the CA hierarchy has no root");
      VTPMD_ASSIGN_OR_RETURN(std::string root_pem, ossl::CertificatePem(root->second.certificate.get()));
      chain += root_pem;
    }
    pems.emplace(role, std::move(chain));
  }
  return pems;
}

std::vector<const Issuer*> Pointers(const IssuerMap& issuers) {
  std::vector<const Issuer*> out;
  out.reserve(issuers.size());
  for (const auto& [role, issuer] : issuers) out.push_back(&issuer);
  return out;
}

}  // namespace

Result<std::unique_ptr<CaHierarchy>> CaHierarchy::LoadOrCreate(Store& store, const SecretBytes& data_key,
                                                               const CaOptions& options, const Clock& clock,
                                                               Rng& rng) {
  if (data_key.size() != kDataKeySize) return InvalidArgument("the CA data key must be 32 bytes");
  VTPMD_ASSIGN_OR_RETURN(IssuerMap issuers, LoadIssuers(store, data_key));
  const bool first_start = issuers.empty();
  if (first_start) {
    VTPMD_ASSIGN_OR_RETURN(issuers, CreateIssuers(options, clock, rng));
    VTPMD_RETURN_IF_ERROR(SaveAll(store, Pointers(issuers), data_key, clock, rng));
  } else {
    VTPMD_RETURN_IF_ERROR(CompleteStoredIssuers(issuers, store, data_key, options, clock, rng));
  }
  VTPMD_RETURN_IF_ERROR(VerifyAll(issuers, clock));
  VTPMD_ASSIGN_OR_RETURN(auto issuer_chain_pems, IssuerChainPems(issuers));
  return std::unique_ptr<CaHierarchy>(new CaHierarchy(std::move(issuers), std::move(issuer_chain_pems), first_start));
}

Result<const Issuer*> CaHierarchy::issuer(IssuerRole role) const {
  const auto found = issuers_.find(role);
  if (found == issuers_.end()) return NotFound("CA issuer '" + RoleName(role) + "' is not part of this hierarchy");
  return &found->second;
}

std::vector<const Issuer*> CaHierarchy::issuers() const { return Pointers(issuers_); }

Result<std::string> CaHierarchy::ChainPem(X509* leaf, IssuerRole issued_by) const {
  const auto issuers = issuer_chain_pems_.find(issued_by);
  if (issuers == issuer_chain_pems_.end()) {
    return NotFound("CA issuer '" + RoleName(issued_by) + "' is not part of this hierarchy");
  }
  VTPMD_ASSIGN_OR_RETURN(std::string chain, ossl::CertificatePem(leaf));
  return chain + issuers->second;
}

}  // namespace vtpmd::ca
