#pragma once
// Asynchronous HTTP(S)/1.1 POST client for webhook deliveries. Keep-alive
// connections are pooled per origin; every resolved address passes the SSRF
// policy before a connection is opened (so DNS rebinding cannot redirect a
// delivery); redirects are not followed; each delivery has one deadline covering
// resolution, connection, handshake, request and response. Asio/Beast stay in the .cc.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "server/http/http_types.h"
#include "server/webhooks/callback_url.h"
#include "server/webhooks/host_resolver.h"

namespace vtpmd::webhooks {

struct WebhookClientOptions {
  unsigned threads = 1;
  std::chrono::milliseconds request_timeout{10000};  // resolve + connect + handshake + write + read
  std::size_t max_response_bytes = 64 * 1024;  // headers + body; beyond -> "oversized response"
  std::size_t max_connections_per_origin = 8;  // idle keep-alive connections kept for reuse
  std::string extra_ca_pem;  // trusted in addition to the system store
  CallbackUrlPolicy url_policy;  // applied to every resolved address
  HostResolver::Lookup lookup = HostResolver::SystemLookup();  // tests script it
};

struct DeliveryOutcome {
  std::optional<unsigned> http_status;  // set when a response arrived
  std::chrono::microseconds latency{0};
  std::string error;  // empty when a response arrived

  bool delivered() const { return http_status && *http_status >= 200 && *http_status < 300; }
};

class WebhookClient {
 public:
  static Result<std::unique_ptr<WebhookClient>> Start(WebhookClientOptions options);
  // Stops the threads. Deliveries still in flight complete with error "client
  // stopped", on the destroying thread, before this returns; their callbacks
  // must not Post again.
  ~WebhookClient();
  WebhookClient(const WebhookClient&) = delete;
  WebhookClient& operator=(const WebhookClient&) = delete;

  // Called exactly once per Post. Must not throw.
  using Done = std::function<void(DeliveryOutcome)>;

  // Thread-safe. POSTs `body` as application/json with `headers` to `url` and
  // calls `done` on a client thread. Host, Content-Type, Content-Length,
  // Transfer-Encoding and Connection are the client's own and refused in `headers`.
  void Post(const CallbackUrl& url, http::HeaderList headers, std::string body, Done done);

 private:
  class Impl;
  explicit WebhookClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vtpmd::webhooks
