#pragma once
// The query string of a request target (application/x-www-form-urlencoded): untrusted,
// so it is decoded strictly: bad percent escapes, repeated keys and too many
// parameters are errors, not guesses.

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/result.h"

namespace vtpmd::api {

using QueryParams = std::map<std::string, std::string, std::less<>>;

Result<QueryParams> ParseQuery(std::string_view query);

}  // namespace vtpmd::api
