#pragma once
// The query string of a request target (application/x-www-form-urlencoded): untrusted,
// so it is decoded strictly: bad percent escapes, repeated keys and too many
// parameters are errors, not guesses.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

#include "core/result.h"

namespace vtpmd::api {

using QueryParams = std::map<std::string, std::string, std::less<>>;

Result<QueryParams> ParseQuery(std::string_view query);

// Refuses parameters a route does not know: a typo must not widen a listing.
Status RejectUnknownParams(const QueryParams& params, std::initializer_list<std::string_view> allowed);
// An integer parameter within [min, max], or `fallback` when absent.
Result<std::int64_t> IntegerParam(const QueryParams& params, std::string_view name, std::int64_t fallback,
                                  std::int64_t min, std::int64_t max);

}  // namespace vtpmd::api
