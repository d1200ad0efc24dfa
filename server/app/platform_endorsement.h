#pragma once
// The platform TPM's EK certificates. On hardware the TPM vendor wrote them into NV;
// in simulated mode the development manufacturer CA plays the vendor once. Either
// way the certificates are then read from NV and checked by the same code.

#include <openssl/x509.h>
#include <tss2/tss2_tpm2_types.h>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ca/hierarchy.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "core/store.h"
#include "vtpm/platform_tpm.h"

namespace vtpmd::app {

enum class EkCertificateStatus { kVerified, kUntrusted, kAbsent };
std::string_view EkCertificateStatusName(EkCertificateStatus status);

struct PlatformEkCertificate {
  TPM2_HANDLE key_handle;
  TPM2_HANDLE nv_index;
  TPM2B_PUBLIC ek;
  std::optional<Bytes> der;
  EkCertificateStatus status;
  std::string detail;  // why it is untrusted or absent
};

// `manufacturer_roots` are the configured vendor roots; the simulated platform's
// development manufacturer is added by this function when the TPM is simulated.
Result<std::vector<PlatformEkCertificate>> EstablishPlatformEkCertificates(
    vtpm::PlatformTpm& platform, const ca::CaHierarchy& hierarchy, Store& store,
    std::span<X509* const> manufacturer_roots, const Clock& clock, Rng& rng);

}  // namespace vtpmd::app
