#pragma once
// Event type patterns as subscribers and readers write them: an exact type
// ("attestation.failed"), every type under a prefix ("instance.migration.*"), or "*".

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace vtpmd::api {

inline constexpr std::size_t kMaxEventTypePatterns = 32;

Status CheckEventTypePattern(std::string_view pattern);
// A comma-separated list, as in ?types=a.b,c.*
Result<std::vector<std::string>> ParseEventTypePatterns(std::string_view list);

}  // namespace vtpmd::api
