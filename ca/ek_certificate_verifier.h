#pragma once
// Whether an EK certificate vouches for a TPM this CA trusts: a vTPM of this host
// (our EK authority under our root) or a hardware TPM whose manufacturer the
// operator configured (or, with a simulated platform TPM, the development
// manufacturer). The certificate must be an EK certificate, not merely any
// certificate under a trusted root, and ours must not be revoked. A certificate
// that passed is remembered by its DER, so its TPM's next enrollment skips the
// chain's signatures; revocation is read from the store every time.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ca/hierarchy.h"
#include "ca/remembered_verdicts.h"
#include "ca/x509_time.h"
#include "core/clock.h"
#include "core/openssl.h"
#include "core/result.h"
#include "core/store.h"

namespace vtpmd::ca {

class EkCertificateVerifier {
 public:
  // `manufacturer_certificates`: self-signed ones are trust anchors, the others
  // intermediates that may complete a chain.
  static Result<EkCertificateVerifier> Create(Store& store, const CaHierarchy& hierarchy,
                                              std::vector<ossl::X509Ptr> manufacturer_certificates);

  // Who vouches for the TPM: only a manufacturer makes it a platform (a host
  // TPM); our EK authority certifies vTPMs and software TPMs.
  enum class Origin { kLocalAuthority, kManufacturer };

  // Refusals are kUnsupported with the reason (chain, expiry, revocation, usage).
  Result<Origin> Verify(X509* ek_certificate, TimePoint now) const;

 private:
  EkCertificateVerifier(Store& store, std::vector<ossl::X509Ptr> owned, X509* ek_authority)
      : store_(&store),
        owned_(std::move(owned)),
        ek_authority_(ek_authority),
        trusted_(std::make_unique<RememberedVerdicts<Origin>>(kRememberedCertificates)) {}

  // Far more distinct EK certificates than a host sees between restarts.
  static constexpr std::size_t kRememberedCertificates = 16384;

  // The origin, and the window in which the chain check would pass again.
  Result<std::pair<Origin, ValidityWindow>> VerifyChain(X509* ek_certificate, TimePoint now) const;

  Store* store_;
  std::vector<ossl::X509Ptr> owned_;  // the configured certificates
  X509* ek_authority_;
  std::vector<X509*> anchors_;
  std::vector<X509*> intermediates_;
  ValidityWindow trust_window_;  // of the anchors and intermediates
  std::unique_ptr<RememberedVerdicts<Origin>> trusted_;
};

}  // namespace vtpmd::ca
