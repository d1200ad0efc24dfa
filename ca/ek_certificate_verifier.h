#pragma once
// Whether an EK certificate vouches for a TPM this CA trusts: a vTPM of this host
// (our EK authority under our root) or a hardware TPM whose manufacturer the
// operator configured (or, with a simulated platform TPM, the development
// manufacturer). The certificate must be an EK certificate, not merely any
// certificate under a trusted root, and ours must not be revoked. A certificate
// that passed is remembered by its DER, so its TPM's next enrollment skips the
// chain's signatures; revocation is read from the store every time.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ca/hierarchy.h"
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
      : store_(&store), owned_(std::move(owned)), ek_authority_(ek_authority), trusted_(std::make_unique<Trusted>()) {}

  // When a chain check passed for a certificate, and until when it would pass again:
  // the trust anchors and intermediates never change while vtpmd runs.
  struct Verdict {
    Origin origin;
    TimePoint valid_from;
    TimePoint valid_until;
  };
  struct Trusted {
    std::mutex mu;
    std::unordered_map<std::string, Verdict> by_der;
  };
  Result<Verdict> VerifyChain(X509* ek_certificate, TimePoint now) const;
  std::optional<Origin> Remembered(const std::string& der, TimePoint now) const;
  void Remember(std::string der, Verdict verdict) const;

  Store* store_;
  std::vector<ossl::X509Ptr> owned_;  // the configured certificates
  X509* ek_authority_;
  std::vector<X509*> anchors_;
  std::vector<X509*> intermediates_;
  TimePoint anchors_valid_from_ = TimePoint::min();
  TimePoint anchors_valid_until_ = TimePoint::max();
  std::unique_ptr<Trusted> trusted_;
};

}  // namespace vtpmd::ca
