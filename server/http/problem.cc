#include "server/http/problem.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <string>

namespace vtpmd::http {
namespace {

constexpr std::string_view kTypeBase = "https://vtpmd.dev/problems/";
constexpr std::string_view kInternalDetail = "The server hit an internal error; the request id identifies it in the server log.";

struct StatusInfo {
  std::string_view name;
  std::string_view title;
};

StatusInfo InfoForStatus(unsigned status) {
  switch (status) {
    case 400: return {"bad-request", "Bad Request"};
    case 401: return {"unauthenticated", "Unauthorized"};
    case 403: return {"permission-denied", "Forbidden"};
    case 404: return {"not-found", "Not Found"};
    case 405: return {"method-not-allowed", "Method Not Allowed"};
    case 409: return {"conflict", "Conflict"};
    case 412: return {"precondition-failed", "Precondition Failed"};
    case 413: return {"payload-too-large", "Content Too Large"};
    case 415: return {"unsupported-media-type", "Unsupported Media Type"};
    case 422: return {"unsupported", "Unprocessable Content"};
    case 429: return {"resource-exhausted", "Too Many Requests"};
    case 431: return {"header-fields-too-large", "Request Header Fields Too Large"};
    case 500: return {"internal", "Internal Server Error"};
    case 503: return {"unavailable", "Service Unavailable"};
    default: return {"", "Error"};
  }
}

HttpResponse Build(unsigned status, std::string_view type_name, std::string_view title, std::string_view detail,
                   std::string_view instance) {
  std::string type(kTypeBase);
  if (type_name.empty()) {
    type += "http-" + std::to_string(status);
  } else {
    type += type_name;
  }
  boost::json::object doc;
  doc["type"] = type;
  doc["title"] = title;
  doc["status"] = status;
  doc["detail"] = detail;
  if (!instance.empty()) doc["instance"] = instance;
  HttpResponse response;
  response.status = status;
  response.content_type = std::string(kProblemContentType);
  response.body = boost::json::serialize(doc);
  return response;
}

}  // namespace

unsigned HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition: return 409;
    case ErrorCode::kResourceExhausted: return 429;
    case ErrorCode::kUnsupported: return 422;
    case ErrorCode::kUnsupportedMediaType: return 415;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

HttpResponse ProblemResponse(const Error& error, std::string_view instance) {
  const unsigned status = HttpStatusFor(error.code());
  const bool internal = error.code() == ErrorCode::kInternal;
  HttpResponse response = Build(status, ErrorCodeName(error.code()), InfoForStatus(status).title,
                                internal ? kInternalDetail : std::string_view(error.message()), instance);
  if (error.code() == ErrorCode::kUnauthenticated) response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

HttpResponse ProblemResponse(unsigned status, std::string_view detail, std::string_view instance) {
  const StatusInfo info = InfoForStatus(status);
  return Build(status, info.name, info.title, detail, instance);
}

}  // namespace vtpmd::http
