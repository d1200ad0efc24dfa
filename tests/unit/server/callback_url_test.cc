#include "server/webhooks/callback_url.h"

#include <gtest/gtest.h>

#include <string>

namespace vtpmd::webhooks {
namespace {

::testing::AssertionResult Contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

CallbackUrlPolicy Strict() { return {}; }

CallbackUrlPolicy Loopback() {
  CallbackUrlPolicy policy;
  policy.allow_loopback = true;
  policy.allow_http_loopback = true;
  return policy;
}

std::string ParseError(std::string_view url, const CallbackUrlPolicy& policy = Strict()) {
  Result<CallbackUrl> parsed = CallbackUrl::Parse(url, policy);
  if (parsed.ok()) return "accepted as " + parsed->text();
  return parsed.error().message();
}

std::string AddressError(std::string_view text, const CallbackUrlPolicy& policy = Strict()) {
  Result<IpAddress> address = IpAddress::Parse(text);
  if (!address.ok()) return "unparsable: " + address.error().message();
  Status checked = CheckAddress(*address, policy);
  return checked.ok() ? "" : checked.error().message();
}

TEST(CallbackUrlTest, AcceptsHttpsNamesAndCanonicalizes) {
  Result<CallbackUrl> url = CallbackUrl::Parse("HTTPS://Hooks.Example.COM/in/vtpmd?tenant=a%2Fb", Strict());
  ASSERT_TRUE(url.ok()) << url.error().message();
  EXPECT_EQ(url->scheme(), "https");
  EXPECT_EQ(url->host(), "hooks.example.com");
  EXPECT_EQ(url->port(), 443);
  EXPECT_EQ(url->target(), "/in/vtpmd?tenant=a%2Fb");
  EXPECT_TRUE(url->is_tls());
  EXPECT_FALSE(url->ip_literal().has_value());
  EXPECT_EQ(url->authority(), "hooks.example.com");
  EXPECT_EQ(url->origin(), "https://hooks.example.com");
  EXPECT_EQ(url->text(), "https://hooks.example.com/in/vtpmd?tenant=a%2Fb");
}

TEST(CallbackUrlTest, DefaultsTargetAndKeepsExplicitPort) {
  Result<CallbackUrl> bare = CallbackUrl::Parse("https://example.com", Strict());
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->target(), "/");
  EXPECT_EQ(bare->text(), "https://example.com/");

  Result<CallbackUrl> query_only = CallbackUrl::Parse("https://example.com:8443?x=1", Strict());
  ASSERT_TRUE(query_only.ok());
  EXPECT_EQ(query_only->port(), 8443);
  EXPECT_EQ(query_only->target(), "/?x=1");
  EXPECT_EQ(query_only->authority(), "example.com:8443");
  EXPECT_EQ(query_only->text(), "https://example.com:8443/?x=1");

  Result<CallbackUrl> default_port = CallbackUrl::Parse("https://example.com:443/a", Strict());
  ASSERT_TRUE(default_port.ok());
  EXPECT_EQ(default_port->text(), "https://example.com/a");
}

TEST(CallbackUrlTest, AcceptsPublicIpLiterals) {
  Result<CallbackUrl> v4 = CallbackUrl::Parse("https://93.184.216.34:9000/hook", Strict());
  ASSERT_TRUE(v4.ok()) << v4.error().message();
  ASSERT_TRUE(v4->ip_literal().has_value());
  EXPECT_TRUE(v4->ip_literal()->is_v4());
  EXPECT_EQ(v4->host(), "93.184.216.34");

  Result<CallbackUrl> v6 = CallbackUrl::Parse("https://[2606:2800:0220:0001::0001]/hook", Strict());
  ASSERT_TRUE(v6.ok()) << v6.error().message();
  EXPECT_EQ(v6->host(), "2606:2800:220:1::1");
  EXPECT_EQ(v6->authority(), "[2606:2800:220:1::1]");
  EXPECT_EQ(v6->text(), "https://[2606:2800:220:1::1]/hook");
}

TEST(CallbackUrlTest, RefusesMalformedUrls) {
  EXPECT_TRUE(Contains(ParseError(""), "empty"));
  EXPECT_TRUE(Contains(ParseError("https://example.com/" + std::string(2100, 'a')), "2048"));
  EXPECT_TRUE(Contains(ParseError("example.com/hook"), "https://"));
  EXPECT_TRUE(Contains(ParseError("ftp://example.com/"), "scheme"));
  EXPECT_TRUE(Contains(ParseError("https://user:pw@example.com/"), "userinfo"));
  EXPECT_TRUE(Contains(ParseError("https://example.com/#frag"), "fragment"));
  EXPECT_TRUE(Contains(ParseError("https://example.com/a b"), "space or control"));
  EXPECT_TRUE(Contains(ParseError("https://example.com/\r\nX: y"), "space or control"));
  EXPECT_TRUE(Contains(ParseError(std::string("https://example.com/\0", 21)), "space or control"));
  EXPECT_TRUE(Contains(ParseError("https://ex\xc3\xa4mple.com/"), "non-ASCII"));
  EXPECT_TRUE(Contains(ParseError("https://example.com\\@evil.com/"), "backslash"));
  EXPECT_TRUE(Contains(ParseError("https:///hook"), "no host"));
  EXPECT_TRUE(Contains(ParseError("https://:443/hook"), "no host"));
  EXPECT_TRUE(Contains(ParseError("https://example.com/%zz"), "percent"));
  EXPECT_TRUE(Contains(ParseError("https://example.com/%4"), "percent"));
}

TEST(CallbackUrlTest, RefusesBadPorts) {
  for (const char* url : {"https://example.com:0/", "https://example.com:65536/", "https://example.com:/",
                          "https://example.com:+80/", "https://example.com:080080/", "https://example.com:1:2/",
                          "https://example.com:http/"}) {
    EXPECT_TRUE(Contains(ParseError(url), "port")) << url;
  }
  EXPECT_TRUE(CallbackUrl::Parse("https://example.com:65535/", Strict()).ok());
  EXPECT_TRUE(CallbackUrl::Parse("https://example.com:1/", Strict()).ok());
}

TEST(CallbackUrlTest, RefusesHostsThatAreNotDnsNames) {
  for (const char* url : {"https://exa_mple.com/", "https://-example.com/", "https://example-.com/",
                          "https://example..com/", "https://example.com./", "https://.example.com/",
                          "https://exam%70le.com/"}) {
    EXPECT_TRUE(Contains(ParseError(url), "DNS name")) << url;
  }
  EXPECT_TRUE(Contains(ParseError("https://" + std::string(64, 'a') + ".com/"), "DNS name"));
  std::string long_host;
  for (int i = 0; i < 5; ++i) long_host += std::string(60, 'a') + ".";
  EXPECT_TRUE(Contains(ParseError("https://" + long_host + "com/"), "253"));
}

// A resolver or another URL parser reads these as IPv4 addresses: they must not
// slip past the literal check as "names".
TEST(CallbackUrlTest, RefusesAmbiguousNumericHosts) {
  for (const char* url : {"https://127.1/", "https://0x7f.0.0.1/", "https://2130706433/", "https://017700000001/",
                          "https://1.2.3.04/", "https://1.2.3.4.5/", "https://a.0x10/", "https://256.1.1.1/"}) {
    EXPECT_TRUE(Contains(ParseError(url, Loopback()), "neither a DNS name nor")) << url;
  }
}

TEST(CallbackUrlTest, RefusesMalformedIpv6Literals) {
  EXPECT_TRUE(Contains(ParseError("https://[::1/"), "unclosed"));
  EXPECT_TRUE(Contains(ParseError("https://[2001:db8::g]/"), "malformed IPv6"));
  EXPECT_TRUE(Contains(ParseError("https://[1.2.3.4]/"), "malformed IPv6"));
  EXPECT_TRUE(Contains(ParseError("https://[fe80::1%25eth0]/"), "malformed IPv6"));
  EXPECT_TRUE(Contains(ParseError("https://[2606:2800:220:1::1]x/"), "after its IPv6"));
}

TEST(CallbackUrlTest, ChecksIpLiteralHostsAgainstThePolicy) {
  EXPECT_TRUE(Contains(ParseError("https://169.254.169.254/latest/meta-data/"), "cloud metadata"));
  EXPECT_TRUE(Contains(ParseError("https://10.0.0.5/"), "10.0.0.5 is private"));
  EXPECT_TRUE(Contains(ParseError("https://[::ffff:127.0.0.1]/"), "loopback"));
  EXPECT_TRUE(Contains(ParseError("https://[fd00::1]/"), "private"));
  EXPECT_TRUE(Contains(ParseError("https://127.0.0.1:8443/"), "loopback"));
  EXPECT_TRUE(CallbackUrl::Parse("https://127.0.0.1:8443/", Loopback()).ok());
  // Names are checked once resolved, by the client.
  EXPECT_TRUE(CallbackUrl::Parse("https://localhost:8443/", Strict()).ok());
}

TEST(CallbackUrlTest, PlainHttpOnlyToLoopbackAndOnlyWhenAllowed) {
  EXPECT_TRUE(Contains(ParseError("http://example.com/", Loopback()), "must use https"));
  EXPECT_TRUE(Contains(ParseError("http://93.184.216.34/", Loopback()), "must use https"));
  EXPECT_TRUE(Contains(ParseError("http://localhost:8080/"), "must use https"));
  EXPECT_TRUE(Contains(ParseError("http://localhost.example.com/", Loopback()), "must use https"));

  CallbackUrlPolicy http_only = Strict();
  http_only.allow_http_loopback = true;
  // The http flag does not open loopback addresses by itself.
  EXPECT_TRUE(Contains(ParseError("http://127.0.0.1:8080/", http_only), "loopback"));
  EXPECT_TRUE(CallbackUrl::Parse("http://localhost:8080/", http_only).ok());

  Result<CallbackUrl> url = CallbackUrl::Parse("HTTP://127.0.0.1:8080/hook", Loopback());
  ASSERT_TRUE(url.ok()) << url.error().message();
  EXPECT_FALSE(url->is_tls());
  EXPECT_EQ(url->scheme(), "http");
  EXPECT_EQ(url->text(), "http://127.0.0.1:8080/hook");
  Result<CallbackUrl> v6 = CallbackUrl::Parse("http://[::1]/", Loopback());
  ASSERT_TRUE(v6.ok()) << v6.error().message();
  EXPECT_EQ(v6->port(), 80);
  EXPECT_EQ(v6->text(), "http://[::1]/");
}

struct RefusedAddress {
  const char* address;
  const char* category;
};

class RefusedAddressTest : public ::testing::TestWithParam<RefusedAddress> {};

TEST_P(RefusedAddressTest, IsRefusedWithItsCategory) {
  const std::string error = AddressError(GetParam().address);
  EXPECT_TRUE(Contains(error, GetParam().category));
  EXPECT_TRUE(Contains(error, "which callbacks may not reach"));
}

INSTANTIATE_TEST_SUITE_P(
    Ipv4, RefusedAddressTest,
    ::testing::Values(RefusedAddress{"0.0.0.0", "unspecified"}, RefusedAddress{"0.1.2.3", "unspecified"},
                      RefusedAddress{"127.0.0.1", "loopback"}, RefusedAddress{"127.255.0.9", "loopback"},
                      RefusedAddress{"10.20.30.40", "private"}, RefusedAddress{"172.16.0.1", "private"},
                      RefusedAddress{"172.31.255.255", "private"}, RefusedAddress{"192.168.1.1", "private"},
                      RefusedAddress{"169.254.169.254", "169.254.169.254 is link-local (cloud metadata)"},
                      RefusedAddress{"169.254.1.1", "link-local"}, RefusedAddress{"100.64.0.1", "carrier-grade NAT"},
                      RefusedAddress{"100.127.255.254", "carrier-grade NAT"}, RefusedAddress{"224.0.0.251", "multicast"},
                      RefusedAddress{"239.255.255.250", "multicast"}, RefusedAddress{"255.255.255.255", "broadcast"},
                      RefusedAddress{"240.0.0.1", "reserved"}, RefusedAddress{"198.18.0.1", "benchmarking"},
                      RefusedAddress{"198.19.255.1", "benchmarking"}, RefusedAddress{"192.0.2.1", "documentation"},
                      RefusedAddress{"198.51.100.7", "documentation"}, RefusedAddress{"203.0.113.9", "documentation"},
                      RefusedAddress{"192.0.0.8", "IETF protocol"}, RefusedAddress{"192.88.99.1", "6to4 relay"}));

INSTANTIATE_TEST_SUITE_P(
    Ipv6, RefusedAddressTest,
    ::testing::Values(RefusedAddress{"::", "unspecified"}, RefusedAddress{"::1", "loopback"},
                      RefusedAddress{"fc00::1", "private"}, RefusedAddress{"fd12:3456::1", "private"},
                      RefusedAddress{"fe80::1", "link-local"}, RefusedAddress{"febf::1", "link-local"},
                      RefusedAddress{"fec0::1", "site-local"}, RefusedAddress{"ff02::1", "multicast"},
                      RefusedAddress{"2001:db8::1", "documentation"}, RefusedAddress{"3fff::1", "documentation"},
                      RefusedAddress{"2001:2::1", "benchmarking"}, RefusedAddress{"2001::1", "Teredo"},
                      RefusedAddress{"2001:10::1", "IETF protocol"}, RefusedAddress{"100::1", "discard"},
                      RefusedAddress{"64:ff9b:1::a00:1", "local-use NAT64"},
                      RefusedAddress{"::1.2.3.4", "outside global unicast"},
                      RefusedAddress{"4000::1", "outside global unicast"}));

// IPv6 forms that end up at an IPv4 address are judged by that address.
INSTANTIATE_TEST_SUITE_P(
    EmbeddedIpv4, RefusedAddressTest,
    ::testing::Values(
        RefusedAddress{"::ffff:127.0.0.1", "::ffff:127.0.0.1 (IPv4-mapped 127.0.0.1) is loopback"},
        RefusedAddress{"::ffff:169.254.169.254", "(IPv4-mapped 169.254.169.254) is link-local (cloud metadata)"},
        RefusedAddress{"::ffff:a00:1", "(IPv4-mapped 10.0.0.1) is private"},
        RefusedAddress{"64:ff9b::c0a8:101", "(NAT64 192.168.1.1) is private"},
        RefusedAddress{"64:ff9b::7f00:1", "(NAT64 127.0.0.1) is loopback"},
        RefusedAddress{"2002:a9fe:a9fe::1", "(6to4 169.254.169.254) is link-local (cloud metadata)"},
        RefusedAddress{"2002:7f00:1::", "(6to4 127.0.0.1) is loopback"}));

TEST(CheckAddressTest, AllowsPublicAddresses) {
  for (const char* address : {"93.184.216.34", "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "169.255.0.1",
                              "2606:2800:220:1::1", "2a00:1450:4001:80b::200e", "::ffff:93.184.216.34",
                              "64:ff9b::808:808", "2002:5db8:d822::1"}) {
    EXPECT_EQ(AddressError(address), "") << address;
  }
}

TEST(CheckAddressTest, LoopbackOnlyWhenAllowed) {
  CallbackUrlPolicy policy;
  policy.allow_loopback = true;
  EXPECT_EQ(AddressError("127.0.0.1", policy), "");
  EXPECT_EQ(AddressError("::1", policy), "");
  EXPECT_EQ(AddressError("::ffff:127.0.0.1", policy), "");
  EXPECT_TRUE(Contains(AddressError("10.0.0.1", policy), "private"));
  EXPECT_TRUE(Contains(AddressError("169.254.169.254", policy), "cloud metadata"));
}

TEST(CheckAddressTest, AllowedNetworksOverrideTheCategories) {
  CallbackUrlPolicy policy;
  policy.allowed_networks.push_back(IpNetwork::Parse("10.1.0.0/16").value());
  policy.allowed_networks.push_back(IpNetwork::Parse("fd00::/8").value());
  policy.allowed_networks.push_back(IpNetwork::Parse("127.0.0.1/32").value());
  EXPECT_EQ(AddressError("10.1.2.3", policy), "");
  EXPECT_EQ(AddressError("::ffff:10.1.2.3", policy), "");
  EXPECT_EQ(AddressError("fd00:1234::5", policy), "");
  EXPECT_EQ(AddressError("127.0.0.1", policy), "");
  EXPECT_TRUE(Contains(AddressError("10.2.0.1", policy), "private"));
  EXPECT_TRUE(Contains(AddressError("fc00::1", policy), "private"));
  EXPECT_TRUE(Contains(AddressError("127.0.0.2", policy), "loopback"));

  EXPECT_TRUE(CallbackUrl::Parse("https://10.1.0.9/hook", policy).ok());
  EXPECT_TRUE(CallbackUrl::Parse("https://[fd00::9]/hook", policy).ok());
}

TEST(IpNetworkTest, ParsesAndMatches) {
  Result<IpNetwork> v4 = IpNetwork::Parse("172.16.0.0/12");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->ToString(), "172.16.0.0/12");
  EXPECT_TRUE(v4->Contains(IpAddress::Parse("172.31.1.1").value()));
  EXPECT_FALSE(v4->Contains(IpAddress::Parse("172.32.0.0").value()));
  EXPECT_FALSE(v4->Contains(IpAddress::Parse("::ffff:172.16.0.1").value()));

  Result<IpNetwork> v6 = IpNetwork::Parse("fe80::/10");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->Contains(IpAddress::Parse("febf:ffff::1").value()));
  EXPECT_FALSE(v6->Contains(IpAddress::Parse("fec0::1").value()));

  EXPECT_TRUE(IpNetwork::Parse("0.0.0.0/0").value().Contains(IpAddress::Parse("8.8.8.8").value()));
  EXPECT_TRUE(IpNetwork::Parse("2001:db8::1/128").ok());
}

TEST(IpNetworkTest, RefusesMalformedNetworks) {
  EXPECT_TRUE(Contains(IpNetwork::Parse("10.0.0.0").error().message(), "prefix-length"));
  EXPECT_TRUE(Contains(IpNetwork::Parse("10.0.0.0/33").error().message(), "0-32"));
  EXPECT_TRUE(Contains(IpNetwork::Parse("fd00::/129").error().message(), "0-128"));
  EXPECT_TRUE(Contains(IpNetwork::Parse("10.0.0.0/").error().message(), "0-32"));
  EXPECT_TRUE(Contains(IpNetwork::Parse("10.0.0.0/-1").error().message(), "0-32"));
  EXPECT_TRUE(Contains(IpNetwork::Parse("10.0.0.0/0016").error().message(), "0-32"));
  EXPECT_TRUE(Contains(IpNetwork::Parse("10.1.0.1/16").error().message(), "host bits"));
  EXPECT_TRUE(Contains(IpNetwork::Parse("fd00::1/8").error().message(), "host bits"));
  EXPECT_FALSE(IpNetwork::Parse("10.0.0/8").ok());
  EXPECT_FALSE(IpNetwork::Parse("example.com/8").ok());
  EXPECT_FALSE(IpNetwork::Parse(std::string("10.0.0.0\0/8", 11)).ok());
}

}  // namespace
}  // namespace vtpmd::webhooks
