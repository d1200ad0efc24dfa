#include "ca/x509_time.h"

#include <algorithm>

#include <ctime>

#include "core/openssl.h"

namespace vtpmd::ca {

std::int64_t ToUnixSeconds(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

Result<TimePoint> ToTimePoint(const ASN1_TIME* time) {
  std::tm fields{};
  if (ASN1_TIME_to_tm(time, &fields) != 1) return ossl::LastError("certificate time is malformed", ErrorCode::kInvalidArgument);
  const std::time_t seconds = timegm(&fields);
  return TimePoint(std::chrono::seconds(seconds));
}

Status SetAsn1Time(ASN1_TIME* target, TimePoint time) {
  // ASN1_TIME_set picks UTCTime before 2050 and GeneralizedTime after, as RFC 5280 requires.
  if (ASN1_TIME_set(target, static_cast<std::time_t>(ToUnixSeconds(time))) == nullptr) {
    return ossl::LastError("ASN1_TIME_set");
  }
  return Ok();
}

Result<ValidityWindow> CommonValidity(std::span<X509* const> certificates) {
  ValidityWindow window;
  for (X509* certificate : certificates) {
    VTPMD_ASSIGN_OR_RETURN(TimePoint not_before, ToTimePoint(X509_get0_notBefore(certificate)));
    VTPMD_ASSIGN_OR_RETURN(TimePoint not_after, ToTimePoint(X509_get0_notAfter(certificate)));
    window.from = std::max(window.from, not_before);
    window.until = std::min(window.until, not_after);
  }
  return window;
}

}  // namespace vtpmd::ca
