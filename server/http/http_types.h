#pragma once
// Boost-free request and response types: handlers, routes and tests see only
// these, so nothing outside the transport .cc files includes Beast or Asio.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vtpmd::http {

class ResponseStream;

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Route label for requests that matched no route (404s, transport errors): keeps
// metric cardinality bounded whatever paths clients send.
inline constexpr std::string_view kUnmatchedRoute = "(unmatched)";

struct HttpRequest {
  std::string method;
  std::string target;
  std::string path;  // target without the query; not percent-decoded
  std::string query;
  HeaderList headers;
  std::string body;
  std::string peer_address;
  std::string request_id;

  // Case-insensitive; the first occurrence wins.
  std::optional<std::string_view> Header(std::string_view name) const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  HeaderList headers;
  // Set for a streamed answer (server/http/response_stream.h): `body` is not sent;
  // the stream's bytes are, after a head without Content-Length, and the connection
  // ends with the stream. Requests pipelined behind it are not answered.
  std::shared_ptr<ResponseStream> stream;
  // The route pattern that produced this response, filled in by the Router so the
  // transport can label metrics and log lines without knowing about routing.
  // Points into storage that outlives the server (route patterns or constants).
  std::string_view route = kUnmatchedRoute;
};

// Delivers a request's response. Call it exactly once, from any thread, while the
// server that issued it still exists.
using Responder = std::function<void(HttpResponse)>;
// Most handlers answer before they return. One that waits for something slow (the
// platform TPM) keeps the responder and answers later, holding no I/O thread; it
// must copy what it needs from the request, which lives only for the call.
using Handler = std::function<void(const HttpRequest&, Responder)>;

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace vtpmd::http
