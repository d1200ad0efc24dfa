#pragma once
// A small synchronous HTTPS/1.1 client for vtpmctl and tests. One keep-alive
// connection, reopened once when the server has closed it between requests.
// Verifies the server's chain against `ca_pem` and its name or IP address.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "server/http/http_types.h"

namespace vtpmd::http {

struct ClientOptions {
  std::string host;  // a DNS name (sent as SNI) or an IP literal
  std::uint16_t port = 0;
  std::string ca_pem;  // trust anchor; required unless insecure
  bool insecure = false;
  std::chrono::seconds timeout{30};  // per network operation
};

class HttpsClient {
 public:
  static Result<std::unique_ptr<HttpsClient>> Connect(ClientOptions options);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // Any status is a successful Send; errors are transport failures only.
  Result<HttpResponse> Send(std::string_view method, std::string_view target, const HeaderList& headers,
                            std::string_view body);

  // For a streamed answer (Server-Sent Events): a 2xx body goes to `on_chunk` as its
  // bytes arrive, until the body ends or `on_chunk` returns false, and the returned
  // response has an empty body; any other status is read whole, as Send() does. A
  // transport failure mid-body is an error. The connection is not reused afterwards.
  Result<HttpResponse> SendStreaming(std::string_view method, std::string_view target, const HeaderList& headers,
                                     std::string_view body, const std::function<bool(std::string_view)>& on_chunk);

 private:
  class Impl;
  explicit HttpsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vtpmd::http
