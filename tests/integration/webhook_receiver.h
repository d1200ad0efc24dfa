#pragma once
// The node webhook receiver (tests/node/webhook_receiver.mjs) as a child process:
// a relying party that verifies each delivery with the standardwebhooks package
// over TLS with its own certificate, records it, and answers as scripted.

#include <sys/types.h>

#include <boost/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace vtpmd::testing {

class WebhookReceiver {
 public:
  static Result<std::unique_ptr<WebhookReceiver>> Start(const std::filesystem::path& dir);
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  // vtpmd trusts this for callbacks (--webhook-ca-file).
  const std::filesystem::path& ca_file() const { return certificate_; }
  std::string Url(const std::string& path) const;
  void AcceptSecrets(const std::string& path, const std::vector<std::string>& secrets) const;
  // The next answers on `path`: HTTP statuses, or "hang" for none at all.
  void Script(const std::string& path, const boost::json::array& answers) const;
  // Every delivery so far: {path, id, timestamp, type, verified, answered}.
  boost::json::array Log() const;
  // The deliveries to `path` that verified and were answered 2xx, in arrival order.
  std::vector<std::string> AcceptedIds(const std::string& path) const;

 private:
  WebhookReceiver(std::filesystem::path certificate, pid_t pid, int port)
      : certificate_(std::move(certificate)), pid_(pid), port_(port) {}
  std::string Control(const std::string& method, const std::string& path, const std::string& body) const;

  std::filesystem::path certificate_;
  pid_t pid_;
  int port_;
};

}  // namespace vtpmd::testing
