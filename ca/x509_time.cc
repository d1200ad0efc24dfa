#include "ca/x509_time.h"

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

}  // namespace vtpmd::ca
