#pragma once
// Webhook callback URLs and the address policy that keeps deliveries from being
// turned against the server's own network (SSRF): loopback, private, link-local
// (cloud metadata), reserved and tunnelled forms of them are refused unless an
// operator allows a network explicitly. Asio-free: resolved addresses come in as
// bytes, so this header stays cheap to include.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace vtpmd::webhooks {

class IpAddress {
 public:
  // Dotted-quad IPv4 or RFC 4291 IPv6 text, without brackets or zone.
  static Result<IpAddress> Parse(std::string_view text);
  static IpAddress V4(const std::array<std::uint8_t, 4>& bytes);
  static IpAddress V6(const std::array<std::uint8_t, 16>& bytes);

  bool is_v4() const { return is_v4_; }
  // Network order; an IPv4 address uses the first 4 bytes.
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  std::string ToString() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  IpAddress(bool is_v4, const std::array<std::uint8_t, 16>& bytes) : is_v4_(is_v4), bytes_(bytes) {}

  bool is_v4_;
  std::array<std::uint8_t, 16> bytes_;
};

class IpNetwork {
 public:
  // "10.1.0.0/16", "fd00::/8"; host bits must be zero, so a typo cannot widen
  // the network silently.
  static Result<IpNetwork> Parse(std::string_view cidr);

  // Same family only: an IPv4-mapped IPv6 address is matched by CheckAddress
  // through its embedded IPv4 address.
  bool Contains(const IpAddress& address) const;
  std::string ToString() const;

 private:
  IpNetwork(IpAddress base, unsigned prefix_length) : base_(base), prefix_length_(prefix_length) {}

  IpAddress base_;
  unsigned prefix_length_;
};

struct CallbackUrlPolicy {
  bool allow_http_loopback = false;  // plain http to localhost / loopback literals (tests, local receivers)
  bool allow_loopback = false;
  std::vector<IpNetwork> allowed_networks;  // reachable even though private or reserved
};

// Ok when a delivery may connect to `address`; otherwise names the address and
// why not, e.g. "169.254.169.254 is link-local (cloud metadata), which callbacks
// may not reach".
Status CheckAddress(const IpAddress& address, const CallbackUrlPolicy& policy);

class CallbackUrl {
 public:
  // https://host[:port][/path][?query], or http:// to a loopback host when the
  // policy allows it. No userinfo, fragment, backslash, control characters or
  // non-ASCII (IDNs must be punycode); at most 2048 characters. An IP-literal
  // host is checked against the policy here; names are checked after resolution.
  static Result<CallbackUrl> Parse(std::string_view url, const CallbackUrlPolicy& policy);

  std::string_view scheme() const { return is_tls_ ? "https" : "http"; }
  // Lower case; an IPv6 literal without brackets (as resolvers and TLS want it).
  const std::string& host() const { return host_; }
  std::uint16_t port() const { return port_; }
  std::string_view target() const { return std::string_view(text_).substr(origin_length_); }
  bool is_tls() const { return is_tls_; }
  // Set when the host is an IP literal: no resolution needed.
  const std::optional<IpAddress>& ip_literal() const { return ip_literal_; }
  // host[:port] as in the Host header: brackets around IPv6, default port omitted.
  std::string_view authority() const { return origin().substr(scheme().size() + 3); }
  // scheme://authority: what keep-alive connections are pooled by.
  std::string_view origin() const { return std::string_view(text_).substr(0, origin_length_); }
  // Canonical form: lower-case scheme and host, default port omitted, target "/" at least.
  const std::string& text() const { return text_; }

 private:
  CallbackUrl() = default;

  std::string text_;
  std::size_t origin_length_ = 0;
  std::string host_;
  std::uint16_t port_ = 0;
  bool is_tls_ = false;
  std::optional<IpAddress> ip_literal_;
};

}  // namespace vtpmd::webhooks
