#pragma once
// Whether the AIK certificate chain that came with attestation evidence vouches for
// the key that signed the quote: the leaf is an AIK certificate this host's privacy
// CA issued (directly, or through the host signing key for aik-certifies-aik),
// recorded in the store, chaining to our root, and neither it nor any certificate
// presented with it is revoked. An accepted chain is remembered by its PEM text
// until its validity ends (remembered_verdicts.h): the same chain comes with every
// attestation of its AIK, and its records change only by revocation, which is read
// from the store every time.

#include <memory>
#include <optional>
#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "ca/certificate_cache.h"
#include "ca/hierarchy.h"
#include "ca/remembered_verdicts.h"
#include "ca/x509_time.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/openssl.h"
#include "core/result.h"
#include "core/store.h"

namespace vtpmd::ca {

struct VerifiedAik {
  ossl::X509Ptr certificate;
  EVP_PKEY* public_key = nullptr;  // owned by `certificate`
  Bytes name;                      // the TPM name from the certificate's extension
  std::string serial;
  std::string kind;         // kAikKind or kPlatformAikKind
  std::string instance_id;  // "" for a platform AIK
};

enum class AikChainRejection {
  kMalformed,      // not a certificate chain
  kUntrusted,      // does not chain to our root at `now` (expired included)
  kNotAnAik,       // no AIK usage or no TPM name
  kNotIssuedHere,  // chains, but no record of issuing it
  kRevoked,
};

struct AikChainOutcome {
  std::optional<VerifiedAik> aik;  // set when accepted
  AikChainRejection rejection = AikChainRejection::kMalformed;
  std::string detail;  // why not, for people
};

class AikChainVerifier {
 public:
  static Result<std::unique_ptr<AikChainVerifier>> Create(Store& store, const CaHierarchy& hierarchy);

  // `chain_pem`: the AIK certificate first, then any certificates between it and
  // the privacy CA (the host signing key's, for aik-certifies-aik). Errors are the
  // store's; everything wrong with the chain is a rejection.
  Result<AikChainOutcome> Verify(std::string_view chain_pem, TimePoint now) const;

 private:
  AikChainVerifier(Store& store, X509* root, X509* privacy_ca, ValidityWindow trust_window,
                   std::vector<Bytes> issuer_ders)
      : store_(store),
        root_(root),
        privacy_ca_(privacy_ca),
        trust_window_(trust_window),
        issuer_ders_(std::move(issuer_ders)) {}

  // Rejections that do not depend on the store; the window in which the chain holds.
  struct ChainVerdict {
    std::optional<AikChainRejection> rejection;
    std::string detail;
    ValidityWindow window;
  };
  ChainVerdict VerifyChain(const std::vector<ossl::X509Ptr>& chain, TimePoint now) const;
  // `ders`: the chain's certificates as presented, in order. `revocable` gets the
  // serials of those recorded here, other than our issuers'.
  Result<std::optional<std::pair<AikChainRejection, std::string>>> CheckRecords(
      const std::vector<ossl::X509Ptr>& chain, const std::vector<Bytes>& ders, VerifiedAik& aik,
      std::vector<std::string>& revocable) const;

  // What a chain's acceptance established, but whether it was revoked since.
  struct AcceptedChain {
    ossl::X509Ptr leaf;
    Bytes name;
    std::string serial;
    std::string kind;
    std::string instance_id;
    std::vector<std::string> revocable_serials;
    // Store::RowChanges of the certificates table when none of revocable_serials
    // was found revoked: a revocation is a change to that table, so while the
    // count stays the same the serials need no lookup.
    mutable std::atomic<std::uint64_t> unrevoked_at_changes;
  };
  Result<AikChainOutcome> Reaccept(const AcceptedChain& accepted) const;

  static constexpr std::size_t kRemembered = 16384;

  Store& store_;
  X509* root_;
  X509* privacy_ca_;
  ValidityWindow trust_window_;
  // The root's and the privacy CA's: never revoked (an issuer is retired by
  // rotation), so a chain that repeats them costs no store lookup.
  std::vector<Bytes> issuer_ders_;
  mutable CertificateCache parsed_{kRemembered};
  mutable RememberedVerdicts<std::shared_ptr<const AcceptedChain>> accepted_{kRemembered};
};

}  // namespace vtpmd::ca
