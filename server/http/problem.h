#pragma once
// RFC 9457 problem documents (application/problem+json). Every error a client
// sees goes through here, so internal messages never leak by accident.
//
// Problem type URIs are stable identifiers: "https://vtpmd.dev/problems/<name>",
// where <name> is ErrorCodeName() for errors from our code ("invalid-argument",
// "not-found", ...) and, for transport problems, one of "bad-request",
// "method-not-allowed", "precondition-failed", "payload-too-large", "unsupported-media-type",
// "header-fields-too-large", "not-found", "internal" or "http-<status>".

#include <string_view>

#include "core/result.h"
#include "server/http/http_types.h"

namespace vtpmd::http {

inline constexpr std::string_view kProblemContentType = "application/problem+json";

// `instance` (the request path, usually) is omitted from the document when empty.
// Maps the error code to its status; kInternal gets a generic detail (the real
// message belongs in the server log, not the response).
HttpResponse ProblemResponse(const Error& error, std::string_view instance);

// For transport-level problems with a fixed status (405, 413, 415, 431, ...).
HttpResponse ProblemResponse(unsigned status, std::string_view detail, std::string_view instance);

unsigned HttpStatusFor(ErrorCode code);

}  // namespace vtpmd::http
