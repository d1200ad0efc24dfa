#pragma once
// Standard Webhooks signing (https://www.standardwebhooks.com/): a delivery is signed
// with HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>" under the
// subscription's secret, and sent as "v1,<base64>" in webhook-signature. While a
// rotated-out secret is in its grace period both signatures are sent, space
// separated, so a receiver holding either secret accepts the delivery.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/hmac_key.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secret_bytes.h"

namespace vtpmd::webhooks {

// A subscription's signing secret: 32 random bytes, shown to the subscriber once
// as "whsec_<base64>".
class WebhookSecret {
 public:
  static Result<WebhookSecret> Generate(Rng& rng);
  // The raw key bytes, as stored (24 to 64 bytes).
  static Result<WebhookSecret> FromKey(SecretBytes key);

  SecretBytes Text() const;  // "whsec_..."
  const SecretBytes& key() const { return key_; }
  // "v1,<base64 HMAC-SHA256(id.timestamp.body)>"
  Result<std::string> Sign(std::string_view message_id, std::int64_t timestamp, std::string_view body) const;

 private:
  static Result<WebhookSecret> WithKey(SecretBytes key);
  WebhookSecret(SecretBytes key, HmacKey mac) : key_(std::move(key)), mac_(std::move(mac)) {}
  SecretBytes key_;
  HmacKey mac_;  // keyed once: a delivery signs without setting the key up again
};

}  // namespace vtpmd::webhooks
