#pragma once
// Conversions between certificate validity times and the Clock's time points.

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <span>

#include "core/clock.h"
#include "core/result.h"

namespace vtpmd::ca {

Result<TimePoint> ToTimePoint(const ASN1_TIME* time);
Status SetAsn1Time(ASN1_TIME* target, TimePoint time);
std::int64_t ToUnixSeconds(TimePoint time);

// When every one of `certificates` is valid: the latest notBefore to the earliest notAfter.
struct ValidityWindow {
  TimePoint from = TimePoint::min();
  TimePoint until = TimePoint::max();
};
Result<ValidityWindow> CommonValidity(std::span<X509* const> certificates);

}  // namespace vtpmd::ca
