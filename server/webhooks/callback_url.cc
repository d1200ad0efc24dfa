#include "server/webhooks/callback_url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <utility>

namespace vtpmd::webhooks {
namespace {

constexpr std::size_t kMaxUrlLength = 2048;
constexpr std::size_t kMaxHostLength = 253;
constexpr std::size_t kMaxLabelLength = 63;
// Longer than any address inet_pton accepts ("ffff:...:255.255.255.255" is 45).
constexpr std::size_t kMaxAddressText = 64;

struct SpecialRange {
  std::string_view cidr;
  std::string_view category;
};

// First match wins, so the specific entries precede the ranges that contain them.
constexpr SpecialRange kIpv4Ranges[] = {
    {"0.0.0.0/8", "unspecified (\"this network\")"},
    {"10.0.0.0/8", "private"},
    {"100.64.0.0/10", "shared address space (carrier-grade NAT)"},
    {"127.0.0.0/8", "loopback"},
    {"169.254.169.254/32", "link-local (cloud metadata)"},
    {"169.254.0.0/16", "link-local"},
    {"172.16.0.0/12", "private"},
    {"192.0.0.0/24", "reserved (IETF protocol assignments)"},
    {"192.0.2.0/24", "documentation"},
    {"192.88.99.0/24", "reserved (6to4 relay anycast)"},
    {"192.168.0.0/16", "private"},
    {"198.18.0.0/15", "benchmarking"},
    {"198.51.100.0/24", "documentation"},
    {"203.0.113.0/24", "documentation"},
    {"224.0.0.0/4", "multicast"},
    {"255.255.255.255/32", "broadcast"},
    {"240.0.0.0/4", "reserved"},
};

constexpr SpecialRange kIpv6Ranges[] = {
    {"::/128", "unspecified"},
    {"::1/128", "loopback"},
    {"64:ff9b:1::/48", "private (local-use NAT64)"},
    {"100::/64", "reserved (discard-only)"},
    {"2001::/32", "reserved (Teredo tunnelling)"},
    {"2001:2::/48", "benchmarking"},
    {"2001:db8::/32", "documentation"},
    {"2001::/23", "reserved (IETF protocol assignments)"},
    {"3fff::/20", "documentation"},
    {"fc00::/7", "private (unique local)"},
    {"fe80::/10", "link-local"},
    {"fec0::/10", "site-local"},
    {"ff00::/8", "multicast"},
    // Everything else outside global unicast is unassigned or special.
    {"2000::/3", ""},
};
constexpr std::string_view kNotGlobalUnicast = "reserved (outside global unicast 2000::/3)";
constexpr std::string_view kLoopback = "loopback";

// IPv6 forms that carry an IPv4 address a packet ends up at: classified by it.
struct EmbeddingForm {
  std::string_view cidr;
  std::string_view name;
  std::size_t offset;  // of the IPv4 address in the IPv6 bytes
};
constexpr EmbeddingForm kEmbeddingForms[] = {
    {"::ffff:0:0/96", "IPv4-mapped", 12},
    {"64:ff9b::/96", "NAT64", 12},
    {"2002::/16", "6to4", 2},
};

template <typename Entry, std::size_t N>
std::vector<std::pair<IpNetwork, Entry>> ParseTable(const Entry (&entries)[N]) {
  std::vector<std::pair<IpNetwork, Entry>> table;
  table.reserve(N);
  for (const Entry& entry : entries) table.emplace_back(IpNetwork::Parse(entry.cidr).value(), entry);
  return table;
}

// The category that refuses `address`, or empty when it is an ordinary public address.
std::string_view Classify(const IpAddress& address) {
  if (address.is_v4()) {
    static const auto table = ParseTable(kIpv4Ranges);
    for (const auto& [network, range] : table) {
      if (network.Contains(address)) return range.category;
    }
    return {};
  }
  static const auto table = ParseTable(kIpv6Ranges);
  for (const auto& [network, range] : table) {
    if (network.Contains(address)) return range.category;
  }
  return kNotGlobalUnicast;
}

struct Embedded {
  IpAddress ipv4;
  std::string_view form;
};

std::optional<Embedded> EmbeddedIpv4(const IpAddress& address) {
  if (address.is_v4()) return std::nullopt;
  static const auto forms = ParseTable(kEmbeddingForms);
  for (const auto& [network, form] : forms) {
    if (!network.Contains(address)) continue;
    std::array<std::uint8_t, 4> ipv4;
    std::copy_n(address.bytes().begin() + static_cast<std::ptrdiff_t>(form.offset), ipv4.size(), ipv4.begin());
    return Embedded{IpAddress::V4(ipv4), form.name};
  }
  return std::nullopt;
}

bool InAllowedNetwork(const IpAddress& address, const CallbackUrlPolicy& policy) {
  return std::any_of(policy.allowed_networks.begin(), policy.allowed_networks.end(),
                     [&address](const IpNetwork& network) { return network.Contains(address); });
}

bool IsLoopback(const IpAddress& address) { return Classify(address) == kLoopback; }

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), ToLower);
  return out;
}

template <typename Number>
std::optional<Number> ParseDecimal(std::string_view text, std::size_t max_digits) {
  if (text.empty() || text.size() > max_digits || !std::all_of(text.begin(), text.end(), IsDigit)) return std::nullopt;
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// URL parsers (WHATWG) read a host whose last label is a number, decimal or
// 0x-hex, as an IPv4 address ("127.1", "0x7f.1"): such hosts must be strict
// dotted quads so that what we check is what a resolver would reach.
bool LooksLikeIpv4(std::string_view host) {
  const std::string_view last = host.substr(host.rfind('.') + 1);
  if (last.empty()) return false;
  if (std::all_of(last.begin(), last.end(), IsDigit)) return true;
  return last.size() >= 2 && last[0] == '0' && last[1] == 'x' && std::all_of(last.begin() + 2, last.end(), IsHexDigit);
}

Status CheckDnsName(std::string_view host) {
  if (host.size() > kMaxHostLength) return InvalidArgument("callback host is longer than 253 characters");
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = host.find('.', start);
    const std::string_view label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    const bool ldh = std::all_of(label.begin(), label.end(), [](char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || c == '-'; });
    if (label.empty() || label.size() > kMaxLabelLength || !ldh || label.front() == '-' || label.back() == '-') {
      return InvalidArgument("callback host \"" + std::string(host) +
                             "\" is not a DNS name (letters, digits and inner hyphens, 1-63 per label)");
    }
    if (dot == std::string_view::npos) return Ok();
    start = dot + 1;
  }
}

Status CheckTarget(std::string_view target) {
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] != '%') continue;
    if (i + 2 >= target.size() || !IsHexDigit(target[i + 1]) || !IsHexDigit(target[i + 2])) {
      return InvalidArgument("callback URL has a malformed percent-encoding");
    }
  }
  return Ok();
}

Status CheckCharacters(std::string_view url) {
  for (const char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return InvalidArgument("callback URL contains a space or control character");
    if (byte >= 0x80) return InvalidArgument("callback URL contains non-ASCII (use punycode and percent-encoding)");
    // WHATWG parsers read '\' as '/': a host that means one thing here and another there.
    if (c == '\\') return InvalidArgument("callback URL contains a backslash");
    if (c == '#') return InvalidArgument("callback URL has a fragment");
  }
  return Ok();
}

}  // namespace

Result<IpAddress> IpAddress::Parse(std::string_view text) {
  // inet_pton reads a C string: an embedded NUL would cut the text short.
  if (text.empty() || text.size() > kMaxAddressText || text.find('\0') != std::string_view::npos) {
    return InvalidArgument("not an IP address");
  }
  const std::string terminated(text);
  std::array<std::uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, terminated.c_str(), bytes.data()) == 1) return IpAddress(true, bytes);
  if (inet_pton(AF_INET6, terminated.c_str(), bytes.data()) == 1) return IpAddress(false, bytes);
  return InvalidArgument("\"" + terminated + "\" is not an IP address");
}

IpAddress IpAddress::V4(const std::array<std::uint8_t, 4>& bytes) {
  std::array<std::uint8_t, 16> padded{};
  std::copy(bytes.begin(), bytes.end(), padded.begin());
  return IpAddress(true, padded);
}

IpAddress IpAddress::V6(const std::array<std::uint8_t, 16>& bytes) { return IpAddress(false, bytes); }

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(is_v4_ ? AF_INET : AF_INET6, bytes_.data(), text, sizeof text) == nullptr) return "(invalid address)";
  return text;
}

Result<IpNetwork> IpNetwork::Parse(std::string_view cidr) {
  const std::size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) return InvalidArgument("network \"" + std::string(cidr.substr(0, kMaxAddressText)) + "\" needs a /prefix-length");
  VTPMD_ASSIGN_OR_RETURN(const IpAddress base, IpAddress::Parse(cidr.substr(0, slash)));
  const unsigned max_length = base.is_v4() ? 32 : 128;
  const std::optional<unsigned> length = ParseDecimal<unsigned>(cidr.substr(slash + 1), 3);
  if (!length || *length > max_length) {
    return InvalidArgument("network " + base.ToString() + ": prefix length must be 0-" + std::to_string(max_length));
  }
  const IpNetwork network(base, *length);
  for (unsigned bit = *length; bit < max_length; ++bit) {
    if ((base.bytes()[bit / 8] >> (7 - bit % 8)) & 1) {
      return InvalidArgument("network " + network.ToString() + " has host bits set");
    }
  }
  return network;
}

bool IpNetwork::Contains(const IpAddress& address) const {
  if (address.is_v4() != base_.is_v4()) return false;
  const std::size_t whole_bytes = prefix_length_ / 8;
  const auto& a = address.bytes();
  const auto& b = base_.bytes();
  if (!std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(whole_bytes), b.begin())) return false;
  const unsigned rest = prefix_length_ % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[whole_bytes] & mask) == (b[whole_bytes] & mask);
}

std::string IpNetwork::ToString() const { return base_.ToString() + "/" + std::to_string(prefix_length_); }

Status CheckAddress(const IpAddress& address, const CallbackUrlPolicy& policy) {
  if (InAllowedNetwork(address, policy)) return Ok();
  const std::optional<Embedded> embedded = EmbeddedIpv4(address);
  if (embedded && InAllowedNetwork(embedded->ipv4, policy)) return Ok();
  const std::string_view category = Classify(embedded ? embedded->ipv4 : address);
  if (category.empty() || (category == kLoopback && policy.allow_loopback)) return Ok();
  std::string subject = address.ToString();
  if (embedded) subject += " (" + std::string(embedded->form) + " " + embedded->ipv4.ToString() + ")";
  return InvalidArgument(subject + " is " + std::string(category) + ", which callbacks may not reach");
}

Result<CallbackUrl> CallbackUrl::Parse(std::string_view url, const CallbackUrlPolicy& policy) {
  if (url.empty()) return InvalidArgument("callback URL is empty");
  if (url.size() > kMaxUrlLength) return InvalidArgument("callback URL is longer than 2048 characters");
  VTPMD_RETURN_IF_ERROR(CheckCharacters(url));

  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return InvalidArgument("callback URL needs https://");
  const std::string scheme = Lowercase(url.substr(0, scheme_end));
  if (scheme != "https" && scheme != "http") return InvalidArgument("callback URL scheme must be https");

  const std::string_view rest = url.substr(scheme_end + 3);
  const std::size_t authority_end = std::min(rest.find_first_of("/?"), rest.size());
  const std::string_view authority = rest.substr(0, authority_end);
  std::string_view target = rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return InvalidArgument("callback URL may not carry userinfo (credentials)");

  CallbackUrl parsed;
  parsed.is_tls_ = scheme == "https";
  std::string_view host_text;
  std::optional<std::string_view> port_text;
  bool bracketed = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("callback URL has an unclosed IPv6 literal");
    host_text = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidArgument("callback URL has text after its IPv6 literal");
      port_text = after.substr(1);
    }
    bracketed = true;
  } else {
    const std::size_t colon = authority.find(':');
    host_text = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (host_text.empty()) return InvalidArgument("callback URL has no host");

  parsed.port_ = parsed.is_tls_ ? 443 : 80;
  if (port_text) {
    const std::optional<std::uint32_t> port = ParseDecimal<std::uint32_t>(*port_text, 5);
    if (!port || *port == 0 || *port > 65535) return InvalidArgument("callback URL port must be 1-65535");
    parsed.port_ = static_cast<std::uint16_t>(*port);
  }

  parsed.host_ = Lowercase(host_text);
  if (bracketed) {
    Result<IpAddress> address = IpAddress::Parse(parsed.host_);
    if (!address.ok() || address->is_v4()) return InvalidArgument("callback URL has a malformed IPv6 literal");
    parsed.ip_literal_ = *address;
    parsed.host_ = address->ToString();
  } else if (LooksLikeIpv4(parsed.host_)) {
    Result<IpAddress> address = IpAddress::Parse(parsed.host_);
    if (!address.ok() || !address->is_v4()) {
      return InvalidArgument("callback host \"" + parsed.host_ + "\" is neither a DNS name nor a dotted-quad IPv4 address");
    }
    parsed.ip_literal_ = *address;
  } else {
    VTPMD_RETURN_IF_ERROR(CheckDnsName(parsed.host_));
  }

  if (!parsed.is_tls_) {
    const bool loopback_host = parsed.ip_literal_ ? IsLoopback(*parsed.ip_literal_) : parsed.host_ == "localhost";
    if (!loopback_host || !policy.allow_http_loopback) {
      return InvalidArgument("callback URL must use https (plain http only to a local receiver, when enabled)");
    }
  }
  if (parsed.ip_literal_) {
    Status allowed = CheckAddress(*parsed.ip_literal_, policy);
    if (!allowed.ok()) return std::move(allowed).error().WithContext("callback URL");
  }
  VTPMD_RETURN_IF_ERROR(CheckTarget(target));

  parsed.text_ = scheme + "://" + (bracketed ? "[" + parsed.host_ + "]" : parsed.host_);
  if (parsed.port_ != (parsed.is_tls_ ? 443 : 80)) parsed.text_ += ":" + std::to_string(parsed.port_);
  parsed.origin_length_ = parsed.text_.size();
  if (target.empty() || target.front() == '?') parsed.text_ += '/';
  parsed.text_ += target;
  return parsed;
}

}  // namespace vtpmd::webhooks
