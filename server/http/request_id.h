#pragma once
// Request ids correlate a response with its log line. They need to be unique,
// not secret, so each thread runs a cheap generator seeded once from the OS.

#include <string>

namespace vtpmd::http {

// 16 lower-case hex characters.
std::string NextRequestId();

}  // namespace vtpmd::http
