#pragma once
// The privacy CA's enrollment endpoint logic: works out which TPM is asking (a
// vTPM of this host, identified by its instance, or any TPM by its EK
// certificate), runs the credential-activation protocol, announces each issued
// AIK certificate as an event and logs every refusal for audit.

#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "ca/aik_enrollment.h"
#include "ca/certificate_cache.h"
#include "ca/ek_certificate_verifier.h"
#include "ca/hierarchy.h"
#include "ca/platform_binding.h"
#include "ca/tpm_certificate_signer.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/store.h"
#include "server/api/enrollment_requests.h"
#include "server/app/event_log.h"
#include "server/app/instance_records.h"

namespace vtpmd::app {

class EnrollmentService {
 public:
  // The vTPM instances of this host, looked up by id (NotFound when absent).
  using InstanceLookup = std::function<Result<InstanceRecord>(std::string_view id)>;

  static Result<std::unique_ptr<EnrollmentService>> Create(Store& store, const ca::CaHierarchy& hierarchy,
                                                           InstanceLookup instances, EventLog& events,
                                                           std::vector<ossl::X509Ptr> manufacturer_certificates,
                                                           ca::EnrollmentPolicy policy,
                                                           ca::PlatformPolicy platform_policy, const Clock& clock,
                                                           Rng& rng);

  Result<ca::IssuedChallenge> Challenge(const api::AikChallengeRequest& request);
  // The host's own AIK: the same protocol, named after the host.
  Result<ca::IssuedChallenge> ChallengePlatform(X509* ek_certificate, const TPMT_PUBLIC& ek_public, ByteView aik_public,
                                                std::string host_name);
  // See ca::AikEnrollment::Activate: `done` runs once the outcome is durable.
  void Activate(std::string_view challenge_id, const SecretBytes& secret, ca::AikEnrollment::ActivationDone done);
  Result<ca::Enrollment> Activate(std::string_view challenge_id, const SecretBytes& secret);
  // The issued certificate and its issuers up to the root, as PEM.
  Result<std::string> ChainPem(const ca::Enrollment& enrollment) const;

  // Method aik-certifies-aik becomes available once the host signing key is certified.
  void SetHostSigner(ca::TpmCertificateSigner signer);
  bool has_host_signer() const { return host_signer_.has_value(); }

 private:
  static constexpr std::size_t kCachedEkCertificates = 1024;

  EnrollmentService(InstanceLookup instances, Store& store, const ca::CaHierarchy& hierarchy,
                    ca::EkCertificateVerifier verifier, ca::PlatformPolicy platform_policy, const Clock& clock)
      : instances_(std::move(instances)),
        store_(store),
        hierarchy_(hierarchy),
        verifier_(std::move(verifier)),
        platform_policy_(std::move(platform_policy)),
        clock_(clock) {}

  Result<ca::IssuedChallenge> InstanceChallenge(const api::AikChallengeRequest& request);
  // The instance an EK certificate was issued to here, or "" for any other.
  Result<std::string> IssuedInstance(X509* ek_certificate) const;

  InstanceLookup instances_;
  Store& store_;
  const ca::CaHierarchy& hierarchy_;
  ca::EkCertificateVerifier verifier_;
  ca::CertificateCache ek_certificates_{kCachedEkCertificates};
  std::optional<ca::TpmCertificateSigner> host_signer_;
  // What the platform binding of aik-certifies-ek EK' certificates must show.
  const ca::PlatformPolicy platform_policy_;
  const Clock& clock_;
  std::unique_ptr<ca::AikEnrollment> enrollment_;
};

}  // namespace vtpmd::app
