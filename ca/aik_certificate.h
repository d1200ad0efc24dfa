#pragma once
// AIK certificates from the privacy CA: the attestation key is TPM-resident and
// bound to an EK the CA trusts (credential activation proved it), which is what
// the certificate states. EKU tcg-kp-AIKCertificate, key usage digitalSignature,
// the AIK's TPM name in a vtpmd extension, and a subject naming whose TPM it is.

#include <chrono>
#include <string>
#include <string_view>

#include "ca/issuer.h"
#include "ca/tpm_certificate_signer.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/openssl.h"
#include "core/random.h"
#include "core/result.h"
#include "core/store.h"

namespace vtpmd::ca {

// How the certificates table tells a vTPM's AIK from a host TPM's: only the
// latter may vouch for a platform (platform bindings, host signing keys).
inline constexpr std::string_view kAikKind = "aik";
inline constexpr std::string_view kPlatformAikKind = "platform-aik";

struct AikCertificateRequest {
  EVP_PKEY* aik_public;  // borrowed
  Bytes aik_name;        // nameAlg || H(TPMT_PUBLIC)
  // Subject: CN=<vm id> and OU=instance <instance id> for a vTPM; CN=<host>,
  // OU=platform for the host's own AIK.
  std::string vm_id;
  std::string instance_id;
  std::string host_name;
  // A host TPM's AIK (the EK certificate came from a TPM manufacturer): recorded as
  // kPlatformAikKind, the only kind that may vouch for a platform.
  bool platform;
  std::chrono::seconds validity;
  // The certificate never outlives the EK certificate that vouched for the TPM.
  TimePoint not_after_limit;
};

// Signs with `issuer` (the privacy CA), or with `host_signer` inside the platform
// TPM when given, and records the certificate (kAikKind for a vTPM's AIK,
// kPlatformAikKind for a host TPM's) under the privacy CA.
Result<ossl::X509Ptr> IssueAikCertificate(const Issuer& issuer, const AikCertificateRequest& request, Store& store,
                                          const Clock& clock, Rng& rng,
                                          const TpmCertificateSigner* host_signer = nullptr);

}  // namespace vtpmd::ca
