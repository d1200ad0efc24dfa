#pragma once
// Strict JSON request decoding and JSON response encoding for the REST routes.
// Bodies are untrusted: parsing never throws, depth is bounded, unknown fields
// are refused (a typo must not silently fall back to a default).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "server/http/http_types.h"

namespace vtpmd::api {

// Requires Content-Type application/json (415 otherwise) and a JSON object body.
Result<boost::json::object> ParseJsonObject(const http::HttpRequest& request);

Status RejectUnknownFields(const boost::json::object& object, std::initializer_list<std::string_view> allowed);
Result<std::string> RequiredString(const boost::json::object& object, std::string_view key);
Result<std::optional<std::string>> OptionalString(const boost::json::object& object, std::string_view key);
Result<std::optional<std::int64_t>> OptionalInteger(const boost::json::object& object, std::string_view key);
Result<std::optional<std::vector<std::string>>> OptionalStringArray(const boost::json::object& object,
                                                                    std::string_view key);

// Standard base64 of 1 to `max_bytes` bytes.
Result<Bytes> Base64Field(const boost::json::object& object, std::string_view key, std::size_t max_bytes);
Result<std::optional<Bytes>> OptionalBase64Field(const boost::json::object& object, std::string_view key,
                                                 std::size_t max_bytes);
http::HttpResponse JsonResponse(unsigned status, const boost::json::value& body);

}  // namespace vtpmd::api
