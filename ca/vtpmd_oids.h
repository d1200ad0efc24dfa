#pragma once
// Object identifiers of vtpmd's own certificate extensions. The arc is a UUID OID
// (ITU-T X.667, 2.25.<128-bit UUID as an integer>): ours without registration and
// collision-free by construction. docs/ca.md documents each extension's content.

#include <string_view>

namespace vtpmd::ca::oid {

inline constexpr std::string_view kVtpmdArc = "2.25.251627286845629575248525112827099618712";
// OCTET STRING: the certified key's TPM name (nameAlg || H(TPMT_PUBLIC)), so a
// verifier can match a quote's signer to this certificate without re-deriving it.
inline constexpr std::string_view kTpmObjectName = "2.25.251627286845629575248525112827099618712.1";
// The platform binding of an EK' certificate (certification method aik-certifies-ek).
inline constexpr std::string_view kPlatformBinding = "2.25.251627286845629575248525112827099618712.2";

// TCG: tcg-kp-AIKCertificate (TCG EK Credential Profile / Infrastructure WG).
inline constexpr std::string_view kAikCertificateUsage = "2.23.133.8.3";

}  // namespace vtpmd::ca::oid
