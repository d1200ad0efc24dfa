#include "server/webhooks/webhook_signature.h"

#include <openssl/crypto.h>

#include "core/bytes.h"
#include "core/crypto.h"

namespace vtpmd::webhooks {
namespace {

constexpr std::size_t kSecretBytes = 32;
// The range Standard Webhooks allows for a secret.
constexpr std::size_t kMinSecretBytes = 24;
constexpr std::size_t kMaxSecretBytes = 64;
constexpr std::string_view kSecretPrefix = "whsec_";

}  // namespace

Result<WebhookSecret> WebhookSecret::WithKey(SecretBytes key) {
  VTPMD_ASSIGN_OR_RETURN(HmacKey mac, HmacKey::Create(HashAlg::kSha256, key.view()));
  return WebhookSecret(std::move(key), std::move(mac));
}

Result<WebhookSecret> WebhookSecret::Generate(Rng& rng) {
  VTPMD_ASSIGN_OR_RETURN(SecretBytes key, rng.GenerateSecret(kSecretBytes));
  return WithKey(std::move(key));
}

Result<WebhookSecret> WebhookSecret::FromKey(SecretBytes key) {
  // We only ever make 32 bytes; any size Standard Webhooks allows is accepted.
  if (key.size() < kMinSecretBytes || key.size() > kMaxSecretBytes) {
    return InvalidArgument("a webhook secret has 24 to 64 bytes");
  }
  return WithKey(std::move(key));
}

SecretBytes WebhookSecret::Text() const {
  std::string text = std::string(kSecretPrefix) + Base64Encode(key_.view());
  SecretBytes out = SecretBytes::CopyFrom(AsBytes(text));
  OPENSSL_cleanse(text.data(), text.size());
  return out;
}

Result<std::string> WebhookSecret::Sign(std::string_view message_id, std::int64_t timestamp,
                                        std::string_view body) const {
  const std::string time = std::to_string(timestamp);
  constexpr std::string_view kDot = ".";
  VTPMD_ASSIGN_OR_RETURN(Bytes mac,
                         mac_.Mac({AsBytes(message_id), AsBytes(kDot), AsBytes(time), AsBytes(kDot), AsBytes(body)}));
  return "v1," + Base64Encode(mac);
}

}  // namespace vtpmd::webhooks
