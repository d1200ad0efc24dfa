#pragma once
// The CA hierarchy of one vtpmd host, created on first start and reloaded afterwards:
//
//   root CA (self-signed)                     dev TPM manufacturer (self-signed,
//    ├─ EK authority      (CA, pathlen 0)      SIMULATED; only with a simulated
//    ├─ privacy CA        (CA, pathlen 0)      platform: it stands in for a TPM
//    ├─ attestation-result signer              vendor, so it is deliberately not
//    └─ host TLS identity (re-issued near       under our root)
//       expiry or when its names change)

#include <map>
#include <string>
#include <memory>
#include <vector>

#include "ca/ca_options.h"
#include "ca/issuer.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secret_bytes.h"
#include "core/store.h"

namespace vtpmd::ca {

class CaHierarchy {
 public:
  // `data_key` (32 bytes) seals the private keys in the store. A first start creates
  // every issuer in one transaction; later starts decrypt and check every issuer and
  // fail naming the role if a record is missing, tampered with or the key is wrong.
  // The key algorithm of an existing hierarchy is kept whatever `options` says.
  static Result<std::unique_ptr<CaHierarchy>> LoadOrCreate(Store& store, const SecretBytes& data_key,
                                                           const CaOptions& options, const Clock& clock, Rng& rng);

  // NotFound only for the development manufacturer of a hierarchy without a simulated platform.
  Result<const Issuer*> issuer(IssuerRole role) const;
  std::vector<const Issuer*> issuers() const;  // in IssuerRole order
  // PEM of `leaf`, then `issued_by`'s certificate, then the root's (for an issuer
  // under the root): the bundle a relying party needs to build the path.
  Result<std::string> ChainPem(X509* leaf, IssuerRole issued_by) const;
  bool created_now() const { return created_now_; }

 private:
  CaHierarchy(std::map<IssuerRole, Issuer> issuers, std::map<IssuerRole, std::string> issuer_chain_pems,
              bool created_now)
      : issuers_(std::move(issuers)), issuer_chain_pems_(std::move(issuer_chain_pems)), created_now_(created_now) {}

  std::map<IssuerRole, Issuer> issuers_;
  // Encoded once: issuers never change after loading, and every chain handed out
  // (each AIK and EK certificate issued) ends with one of these.
  std::map<IssuerRole, std::string> issuer_chain_pems_;
  bool created_now_;
};

}  // namespace vtpmd::ca
