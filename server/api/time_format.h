#pragma once

#include <cstdint>
#include <string>

namespace vtpmd::api {

// RFC 3339 UTC with second precision, e.g. "2026-11-22T12:00:00Z".
std::string Rfc3339FromUnixSeconds(std::int64_t seconds);

}  // namespace vtpmd::api
