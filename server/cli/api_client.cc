#include "server/cli/api_client.h"

#include <openssl/crypto.h>

#include <boost/json.hpp>

#include <charconv>

#include "core/file_io.h"

namespace vtpmd::cli {
namespace {

constexpr std::size_t kMaxCaFileBytes = 1024 * 1024;

struct Endpoint {
  std::string host;
  std::uint16_t port;
};

Result<Endpoint> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (!url.starts_with(kScheme)) return InvalidArgument("--url must start with https://");
  url.remove_prefix(kScheme.size());
  url = url.substr(0, url.find('/'));
  std::string_view host = url;
  std::string_view port = "443";
  if (url.starts_with('[')) {
    const auto close = url.find(']');
    if (close == std::string_view::npos) return InvalidArgument("--url: unterminated IPv6 literal");
    host = url.substr(1, close - 1);
    if (close + 1 < url.size()) {
      if (url[close + 1] != ':') return InvalidArgument("--url: junk after IPv6 literal");
      port = url.substr(close + 2);
    }
  } else if (const auto colon = url.rfind(':'); colon != std::string_view::npos) {
    host = url.substr(0, colon);
    port = url.substr(colon + 1);
  }
  std::uint16_t port_number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (host.empty() || ec != std::errc() || end != port.data() + port.size() || port_number == 0) {
    return InvalidArgument("--url: expected https://HOST[:PORT]");
  }
  return Endpoint{std::string(host), port_number};
}

Error ErrorFromProblem(const http::HttpResponse& response) {
  std::string detail = "HTTP " + std::to_string(response.status);
  boost::system::error_code ec;
  const boost::json::value problem = boost::json::parse(response.body, ec);
  if (!ec && problem.is_object()) {
    const auto& object = problem.as_object();
    if (const auto* title = object.if_contains("title"); title && title->is_string()) {
      detail += " " + std::string(title->as_string());
    }
    if (const auto* text = object.if_contains("detail"); text && text->is_string()) {
      detail += ": " + std::string(text->as_string());
    }
  }
  switch (response.status) {
    case 401: return Unauthenticated(detail);
    case 403: return PermissionDenied(detail);
    case 404: return NotFound(detail);
    case 409: return FailedPrecondition(detail);
    default: return response.status >= 500 ? Internal(detail) : InvalidArgument(detail);
  }
}

}  // namespace

int ExitCodeFor(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied: return kExitDenied;
    case ErrorCode::kUnavailable: return kExitUnreachable;
    default: return kExitServerError;
  }
}

Result<std::unique_ptr<ApiClient>> ApiClient::Connect(ClientSettings settings) {
  VTPMD_ASSIGN_OR_RETURN(Endpoint endpoint, ParseUrl(settings.url));
  http::ClientOptions options;
  options.host = endpoint.host;
  options.port = endpoint.port;
  options.insecure = settings.insecure;
  if (settings.ca_file) {
    VTPMD_ASSIGN_OR_RETURN(options.ca_pem, ReadSmallFile(*settings.ca_file, kMaxCaFileBytes));
  } else if (!settings.insecure) {
    return InvalidArgument("no trust anchor: pass --cacert (the vtpmd root CA, e.g. vtpmd-data/root-ca.pem)");
  }
  auto client = http::HttpsClient::Connect(options);
  if (!client.ok()) return Unavailable("cannot reach " + settings.url + ": " + client.error().message());
  return std::unique_ptr<ApiClient>(new ApiClient(std::move(*client), std::move(settings.token)));
}

http::HeaderList ApiClient::WithToken(http::HeaderList headers) const {
  if (token_) headers.emplace_back("Authorization", "Bearer " + std::string(AsChars(token_->view())));
  return headers;
}

Status ApiClient::Stream(std::string_view target, const http::HeaderList& headers,
                         const std::function<bool(std::string_view)>& on_chunk) {
  http::HeaderList with_token = WithToken(headers);
  auto response = client_->SendStreaming("GET", target, with_token, "", on_chunk);
  for (auto& [name, value] : with_token) OPENSSL_cleanse(value.data(), value.size());
  if (!response.ok()) return Unavailable(response.error().message());
  if (response->status < 200 || response->status >= 300) return ErrorFromProblem(*response);
  return Ok();
}

Result<boost::json::value> ApiClient::Call(std::string_view method, std::string_view target,
                                           const std::optional<boost::json::value>& body) {
  http::HeaderList headers = WithToken({});
  std::string payload;
  if (body) {
    headers.emplace_back("Content-Type", "application/json");
    payload = boost::json::serialize(*body);
  }
  auto response = client_->Send(method, target, headers, payload);
  // The header copy held the token in clear; wipe it as soon as the request is out.
  for (auto& [name, value] : headers) OPENSSL_cleanse(value.data(), value.size());
  if (!response.ok()) return Unavailable(response.error().message());
  if (response->status < 200 || response->status >= 300) return ErrorFromProblem(*response);
  if (response->status == 204 || response->body.empty()) return boost::json::value();
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(response->body, ec);
  if (ec) return Internal("server answered with malformed JSON: " + ec.message());
  return parsed;
}

}  // namespace vtpmd::cli
