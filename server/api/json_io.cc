#include "server/api/json_io.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace vtpmd::api {
namespace {

constexpr std::size_t kMaxDepth = 16;

bool IsJsonContentType(std::string_view value) {
  // Media type comparison ignores case and parameters such as "; charset=utf-8".
  const std::string_view type = value.substr(0, value.find(';'));
  std::string_view trimmed = type;
  while (!trimmed.empty() && trimmed.back() == ' ') trimmed.remove_suffix(1);
  return http::EqualsIgnoreCase(trimmed, "application/json");
}

std::string Quoted(std::string_view key) { return "'" + std::string(key) + "'"; }

}  // namespace

Result<boost::json::object> ParseJsonObject(const http::HttpRequest& request) {
  const auto content_type = request.Header("Content-Type");
  if (!content_type || !IsJsonContentType(*content_type)) {
    return UnsupportedMediaType("request body must be application/json");
  }
  boost::json::parse_options options;
  options.max_depth = kMaxDepth;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(request.body, ec, {}, options);
  if (ec) return InvalidArgument("malformed JSON body: " + ec.message());
  if (!value.is_object()) return InvalidArgument("JSON body must be an object");
  return std::move(value.as_object());
}

Status RejectUnknownFields(const boost::json::object& object, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object) {
    if (std::find(allowed.begin(), allowed.end(), std::string_view(key)) == allowed.end()) {
      return InvalidArgument("unknown field " + Quoted(key));
    }
  }
  return Ok();
}

Result<std::string> RequiredString(const boost::json::object& object, std::string_view key) {
  VTPMD_ASSIGN_OR_RETURN(auto value, OptionalString(object, key));
  if (!value) return InvalidArgument("missing field " + Quoted(key));
  return std::move(*value);
}

Result<std::optional<std::string>> OptionalString(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return std::optional<std::string>();
  if (!value->is_string()) return InvalidArgument("field " + Quoted(key) + " must be a string");
  return std::optional<std::string>(std::string(value->as_string()));
}

Result<std::optional<std::int64_t>> OptionalInteger(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return std::optional<std::int64_t>();
  if (value->is_int64()) return std::optional<std::int64_t>(value->as_int64());
  return InvalidArgument("field " + Quoted(key) + " must be an integer");
}

Result<std::optional<std::vector<std::string>>> OptionalStringArray(const boost::json::object& object,
                                                                    std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return std::optional<std::vector<std::string>>();
  if (!value->is_array()) return InvalidArgument("field " + Quoted(key) + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& item : value->as_array()) {
    if (!item.is_string()) return InvalidArgument("field " + Quoted(key) + " must be an array of strings");
    out.emplace_back(item.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

http::HttpResponse JsonResponse(unsigned status, const boost::json::value& body) {
  http::HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = boost::json::serialize(body);
  return response;
}

Result<Bytes> Base64Field(const boost::json::object& body, std::string_view key, std::size_t max_bytes) {
  VTPMD_ASSIGN_OR_RETURN(std::string text, RequiredString(body, key));
  auto decoded = Base64Decode(text);
  if (!decoded.ok()) return decoded.error().WithContext(key);
  if (decoded->empty() || decoded->size() > max_bytes) {
    return InvalidArgument(std::string(key) + " must be 1 to " + std::to_string(max_bytes) + " bytes");
  }
  return decoded;
}

Result<std::optional<Bytes>> OptionalBase64Field(const boost::json::object& body, std::string_view key,
                                                 std::size_t max_bytes) {
  if (!body.contains(key)) return std::optional<Bytes>();
  VTPMD_ASSIGN_OR_RETURN(Bytes decoded, Base64Field(body, key, max_bytes));
  return std::optional<Bytes>(std::move(decoded));
}

}  // namespace vtpmd::api
