#pragma once
// Conversions between certificate validity times and the Clock's time points.

#include <openssl/asn1.h>

#include "core/clock.h"
#include "core/result.h"

namespace vtpmd::ca {

Result<TimePoint> ToTimePoint(const ASN1_TIME* time);
Status SetAsn1Time(ASN1_TIME* target, TimePoint time);
std::int64_t ToUnixSeconds(TimePoint time);

}  // namespace vtpmd::ca
