#pragma once
// AIK certificates from the privacy CA: the attestation key is TPM-resident and
// bound to an EK the CA trusts (credential activation proved it), which is what
// the certificate states. EKU tcg-kp-AIKCertificate, key usage digitalSignature,
// the AIK's TPM name in a vtpmd extension, and a subject naming whose TPM it is.

#include <tss2/tss2_tpm2_types.h>

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
  TPMT_PUBLIC aik_public;  // an area AikPublic accepted
  Bytes aik_name;          // nameAlg || H(TPMT_PUBLIC)
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
// TPM when given. Nothing is recorded: a certificate exists for vtpmd once
// RecordAikCertificate commits it, so it can be signed before the transaction that
// decides whether it is issued, and dropped if that transaction says no.
Result<ossl::X509Ptr> SignAikCertificate(const Issuer& issuer, const AikCertificateRequest& request, const Clock& clock,
                                         Rng& rng, const TpmCertificateSigner* host_signer = nullptr);

// Records it under the privacy CA as kAikKind for a vTPM's AIK, kPlatformAikKind
// for a host TPM's.
Status RecordAikCertificate(Store& store, const Issuer& issuer, const AikCertificateRequest& request,
                            X509* certificate);

}  // namespace vtpmd::ca
