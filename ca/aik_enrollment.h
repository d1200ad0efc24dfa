#pragma once
// AIK enrollment by credential activation (TPM 2.0 Part 1 §24): the privacy CA
// learns that an AIK lives in the same TPM as an EK it trusts without ever
// talking to that TPM. It wraps a fresh secret to the EK, bound to the AIK's
// name; only that TPM, holding both keys, can unwrap it (TPM2_ActivateCredential)
// and hand the secret back. Then the AIK is certified.

#include <tss2/tss2_tpm2_types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ca/aik_certificate.h"
#include "ca/credential_blob.h"
#include "ca/ek_certificate_verifier.h"
#include "ca/issuer.h"
#include "ca/pending_challenges.h"
#include "ca/tpm_certificate_signer.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/openssl.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secret_bytes.h"
#include "core/store.h"

namespace vtpmd::ca {

struct EnrollmentPolicy {
  std::chrono::seconds challenge_lifetime{std::chrono::minutes(5)};
  // Pending challenges at once: a flood gets 429s instead of filling memory.
  std::size_t max_pending_challenges = 10000;
  std::chrono::seconds aik_validity{std::chrono::hours(24 * 365)};
};

// Who asks, as far as the caller has established it.
struct EndorsementClaim {
  X509* ek_certificate = nullptr;  // borrowed
  // The EK's public area: what vtpmd provisioned for a known instance, or what
  // the client sent; otherwise rebuilt from the certificate's key with the TCG
  // default template.
  std::optional<TPMT_PUBLIC> ek_public;
  std::string instance_id;  // a vTPM of this host: named in the AIK certificate
  std::string vm_id;
  std::string host_name;  // the platform's own AIK
  // Method aik-certifies-aik: the host signing key in the platform TPM signs.
  bool host_signed = false;
};

struct IssuedChallenge {
  std::string id;
  CredentialBlob credential;
  Bytes credential_file;  // as tpm2_activatecredential -i reads it
  Bytes aik_name;
  TimePoint expires_at;
};

struct Enrollment {
  // As signed: it caches no decoded key (ca/tpm_subject_key.h), so encode it
  // (PEM, DER) or parse that again; X509_get0_pubkey on it returns null.
  ossl::X509Ptr certificate;
  std::string serial;
  std::string instance_id;
  bool host_signed = false;  // issued by the host signing key, not the privacy CA itself
};

class AikEnrollment {
 public:
  // Runs inside the activation's transaction, so the record of the issuance (an
  // event) commits with the certificate or not at all.
  using IssuedHook = std::function<Status(X509* certificate, std::string_view serial, std::string_view instance_id,
                                          std::string_view kind)>;

  // `host_signer` (may be null: then host-signed claims are refused) signs for
  // method aik-certifies-aik.
  AikEnrollment(Store& store, const Issuer& privacy_ca, const TpmCertificateSigner* host_signer,
                const EkCertificateVerifier& ek_verifier, EnrollmentPolicy policy, const Clock& clock, Rng& rng,
                IssuedHook issued)
      : store_(store),
        privacy_ca_(privacy_ca),
        host_signer_(host_signer),
        ek_verifier_(ek_verifier),
        policy_(policy),
        clock_(clock),
        rng_(rng),
        issued_(std::move(issued)),
        pending_(policy.challenge_lifetime, policy.max_pending_challenges) {}

  // Start-up only, before requests are served: the host signing key is certified
  // after the platform AIK, which itself enrolls through this object.
  void SetHostSigner(const TpmCertificateSigner* host_signer) { host_signer_ = host_signer; }

  // Refuses an untrusted EK certificate, an EK that does not match it, and an AIK
  // we would not certify (kUnsupported, with the reason); a full table is
  // kResourceExhausted.
  Result<IssuedChallenge> Challenge(const EndorsementClaim& claim, ByteView aik_public);

  using ActivationDone = std::function<void(Result<Enrollment>)>;
  // The secret must match, in time, once: any attempt uses the challenge up. Issued
  // challenges are held in memory (ca/pending_challenges.h); used ones are recorded.
  // `done` gets the answer once that record (with the certificate, or the refusal)
  // is on stable storage: on the store's flusher thread, or before this returns. So
  // the caller's thread never waits for the disk.
  void Activate(std::string_view challenge_id, ByteView secret, ActivationDone done);
  // The same, waiting for the answer; not from a durable callback.
  Result<Enrollment> Activate(std::string_view challenge_id, ByteView secret);

 private:
  Result<TPMT_PUBLIC> EndorsementKey(const EndorsementClaim& claim) const;
  // The activation proper, by the one attempt that took the challenge.
  void Use(std::string_view challenge_id, const PendingChallenge& challenge, ByteView secret, TimePoint now,
           ActivationDone done);
  Result<Enrollment> Certify(const PendingChallenge& challenge, const AikCertificateRequest& request);

  Store& store_;
  const Issuer& privacy_ca_;
  const TpmCertificateSigner* host_signer_;
  const EkCertificateVerifier& ek_verifier_;
  const EnrollmentPolicy policy_;
  const Clock& clock_;
  Rng& rng_;
  IssuedHook issued_;
  PendingChallenges pending_;
};

}  // namespace vtpmd::ca
