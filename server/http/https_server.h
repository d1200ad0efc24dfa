#pragma once
// HTTPS/1.1 server: keep-alive, bounded pipelining, header/body limits, timeouts,
// graceful drain on SIGINT/SIGTERM or Stop(). The handler runs synchronously on the
// connection's strand; the server times each request, records metrics and writes
// the access log line itself, so handlers stay pure. Asio/Beast stay in the .cc.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "server/http/access_log.h"
#include "server/http/http_types.h"
#include "server/http/metrics.h"
#include "server/http/tls_context.h"

namespace vtpmd::http {

struct ServerLimits {
  std::size_t header_limit = 8 * 1024;  // request line + headers; beyond -> 431
  std::size_t body_limit = 1024 * 1024;  // beyond -> 413
  std::chrono::seconds handshake_timeout{5};
  std::chrono::seconds read_timeout{10};  // first request, and any request body
  std::chrono::seconds idle_timeout{30};  // waiting for the next keep-alive request
  std::chrono::seconds write_timeout{10};
  std::size_t max_pipelined = 8;  // queued responses before reading pauses
  std::size_t max_connections = 4096;
  std::chrono::seconds drain_timeout{10};
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8443;  // 0 = ephemeral
  unsigned threads = 0;  // 0 = hardware_concurrency
  ServerLimits limits;
  TlsIdentity tls;
};

class HttpsServer {
 public:
  // Binds and listens, so port() is valid on return. The private key is wiped
  // from `options` once loaded. `access_log` and `metrics` may be null and must
  // outlive the server.
  static Result<std::unique_ptr<HttpsServer>> Create(ServerOptions options, Handler handler, AccessLog* access_log,
                                                     Metrics* metrics);
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  std::uint16_t port() const;

  // Serves on `threads` threads (the caller's included) until Stop() or
  // SIGINT/SIGTERM, then stops accepting, lets in-flight requests finish, closes
  // idle connections and returns, waiting at most drain_timeout.
  void Run();

  // Thread-safe; may be called before, during or after Run().
  void Stop();

 private:
  class Impl;
  explicit HttpsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vtpmd::http
