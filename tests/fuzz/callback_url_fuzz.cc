// Webhook callback URLs and operator-configured networks: arbitrary bytes must
// yield a value or an Error, never a crash, hang or exception; whatever parses
// must re-parse to itself from its canonical text.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/webhooks/callback_url.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  vtpmd::webhooks::CallbackUrlPolicy lax;
  lax.allow_loopback = true;
  lax.allow_http_loopback = true;
  for (const vtpmd::webhooks::CallbackUrlPolicy& policy : {vtpmd::webhooks::CallbackUrlPolicy{}, lax}) {
    auto url = vtpmd::webhooks::CallbackUrl::Parse(input, policy);
    if (!url.ok()) continue;
    auto again = vtpmd::webhooks::CallbackUrl::Parse(url->text(), policy);
    if (!again.ok() || again->text() != url->text()) std::abort();
  }
  auto network = vtpmd::webhooks::IpNetwork::Parse(input);
  if (network.ok()) {
    auto again = vtpmd::webhooks::IpNetwork::Parse(network->ToString());
    if (!again.ok() || again->ToString() != network->ToString()) std::abort();
  }
  auto address = vtpmd::webhooks::IpAddress::Parse(input);
  if (address.ok()) static_cast<void>(vtpmd::webhooks::CheckAddress(*address, lax));
  return 0;
}
