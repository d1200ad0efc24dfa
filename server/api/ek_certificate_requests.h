#pragma once
// The body of POST /v1/ek-certificates: the public EK of a TPM that a host
// manufactures itself (swtpm_setup through vtpm-create-certs), to be certified by
// vtpmd's EK authority. A pure function of untrusted bytes, fuzzed by
// tests/fuzz/api_requests_fuzz.cc.
//
//   {"ek_public": {"algorithm": "rsa2048", "modulus": HEX, "exponent": 65537},
//    "vm_id": UUID, "manufacturer": "id:00001014", "model": "swtpm",
//    "firmware_version": "id:20191023"}
//
// with "ek_public" alternatively {"algorithm": "ecc-nist-p256" | "ecc-nist-p384",
// "x": HEX, "y": HEX}. Everything but "ek_public" is optional. Malformed input is
// kInvalidArgument (400); a well-formed key vtpmd does not certify (another size,
// exponent or curve, a point off the curve) is kUnsupported (422).

#include <cstdint>
#include <optional>
#include <string>

#include "core/openssl.h"
#include "core/result.h"
#include "server/http/http_types.h"

namespace vtpmd::api {

struct EkCertificateRequestBody {
  // "rsa2048": RSA-2048 with exponent 65537, the TCG default template L-1.
  // "ecc-nist-p256": the default template L-2. "ecc-nist-p384": the high-range
  // P-384 EK that swtpm_setup creates next to the RSA one.
  std::string algorithm;
  ossl::PkeyPtr ek_public;                        // checked: the size, exponent or curve above
  std::optional<std::string> vm_id;               // canonical UUID; the certificate's subject names it
  std::optional<std::uint32_t> manufacturer;      // TPM_PT_MANUFACTURER
  std::optional<std::string> model;               // printable ASCII, 1 to 64 characters
  std::optional<std::uint32_t> firmware_version;  // TPM_PT_FIRMWARE_VERSION_1
};

Result<EkCertificateRequestBody> ParseEkCertificateRequest(const http::HttpRequest& request);

}  // namespace vtpmd::api
