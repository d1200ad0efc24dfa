#pragma once
// The platform AIK's certificate from vtpmd's own privacy CA, obtained through the
// same credential-activation protocol every TPM goes through (the platform TPM
// activates the credential itself). Done once; a valid certificate for the
// current AIK is reused across restarts.

#include <openssl/x509.h>

#include <string>

#include "ca/hierarchy.h"
#include "ca/tpm_certificate_signer.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/openssl.h"
#include "core/result.h"
#include "core/store.h"
#include "server/app/enrollment_service.h"
#include "vtpm/platform_tpm.h"

namespace vtpmd::app {

// `rsa_ek_certificate` vouches for the platform TPM (manufacturer- or, simulated,
// development-manufacturer-rooted).
Result<ossl::X509Ptr> EnsurePlatformAikCertificate(vtpm::PlatformTpm& platform, EnrollmentService& enrollment,
                                                   Store& store, X509* rsa_ek_certificate,
                                                   const std::string& host_name, const Clock& clock);

// Certification method aik-certifies-aik: the host signing key in the platform
// TPM, certified by the platform AIK (TPM2_Certify over a fresh nonce) and then by
// the privacy CA, as an issuer of AIK' certificates that signs inside the TPM.
// A valid certificate for the current key is reused across restarts.
Result<ca::TpmCertificateSigner> EnsureHostSigner(vtpm::PlatformTpm& platform, const ca::CaHierarchy& hierarchy,
                                                  X509* platform_aik_certificate, Store& store,
                                                  const std::string& host_name, const Clock& clock, Rng& rng);

}  // namespace vtpmd::app
