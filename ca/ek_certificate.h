#pragma once
// EK certificates following the TCG EK Credential Profile for TPM 2.0: the TPM's
// identity (manufacturer, model, firmware version) sits in a subjectAltName
// directoryName and the TPM specification it implements in subjectDirectoryAttributes.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ca/issuer.h"
#include "ca/platform_binding.h"
#include "core/clock.h"
#include "core/openssl.h"
#include "core/random.h"
#include "core/result.h"
#include "core/store.h"

namespace vtpmd::ca {

namespace tcg {
inline constexpr std::string_view kTpmManufacturerOid = "2.23.133.2.1";
inline constexpr std::string_view kTpmModelOid = "2.23.133.2.2";
inline constexpr std::string_view kTpmVersionOid = "2.23.133.2.3";
inline constexpr std::string_view kTpmSpecificationOid = "2.23.133.2.16";
inline constexpr std::string_view kEkCertificateOid = "2.23.133.8.1";
inline constexpr std::string_view kSubjectDirectoryAttributesOid = "2.5.29.9";
}  // namespace tcg

// vTPMs are libtpms in swtpm: IBM's manufacturer id, model "swtpm". Their EK'
// certificates live as long as a hardware TPM's usually do.
inline constexpr std::uint32_t kSwtpmManufacturerId = 0x49424d00;
inline constexpr std::string_view kSwtpmModel = "swtpm";
inline constexpr std::chrono::seconds kVtpmEkCertificateValidity{std::chrono::hours(24 * 365 * 15)};

struct TpmDeviceInfo {
  std::uint32_t manufacturer_id;  // TPM_PT_MANUFACTURER, e.g. 0x49424D00 ("IBM")
  std::string model;
  std::uint64_t firmware_version;  // TPM_PT_FIRMWARE_VERSION_1 << 32 | _2
};

// Certification method aik-certifies-ek: makes the platform binding for the
// certificate whose to-be-signed digest is given (see platform_binding.h).
using PlatformBinder = std::function<Result<PlatformBinding>(ByteView binding_digest)>;

struct EkCertificateRequest {
  EVP_PKEY* ek_public;  // borrowed; RSA or ECC
  TpmDeviceInfo tpm;
  // Empty: an empty subject, and the subjectAltName becomes critical (RFC 5280 §4.2.1.6).
  std::string subject_common_name;
  std::chrono::seconds validity;
  std::string instance_id = {};  // the vTPM it is for, recorded with the certificate
  PlatformBinder binder = nullptr;  // set for method aik-certifies-ek
};

// Signs the EK certificate with `issuer` and records it in `certificates` (kind "ek").
Result<ossl::X509Ptr> IssueEkCertificate(const Issuer& issuer, const EkCertificateRequest& request, Store& store,
                                         const Clock& clock, Rng& rng);

}  // namespace vtpmd::ca
