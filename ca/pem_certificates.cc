#include "ca/pem_certificates.h"

#include <string>

namespace vtpmd::ca {
namespace {

constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kEnd = "-----END CERTIFICATE-----";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view TrimLeadingSpace(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  return text;
}

}  // namespace

Result<std::vector<Bytes>> PemCertificateDers(std::string_view pem) {
  std::vector<Bytes> ders;
  std::string_view rest = TrimLeadingSpace(pem);
  while (!rest.empty()) {
    if (ders.size() == kMaxPemCertificates) {
      return InvalidArgument("more than " + std::to_string(kMaxPemCertificates) + " certificates in the PEM chain");
    }
    if (!rest.starts_with(kBegin)) return InvalidArgument("the PEM text has something other than CERTIFICATE blocks");
    rest.remove_prefix(kBegin.size());
    const std::size_t end = rest.find(kEnd);
    if (end == std::string_view::npos) return InvalidArgument("a PEM CERTIFICATE block has no END line");
    std::string body;
    body.reserve(end);
    for (char c : rest.substr(0, end)) {
      if (!IsSpace(c)) body.push_back(c);
    }
    auto der = Base64Decode(body);
    if (!der.ok() || der->empty()) return InvalidArgument("a PEM CERTIFICATE block is not valid base64");
    ders.push_back(std::move(der).value());
    rest = TrimLeadingSpace(rest.substr(end + kEnd.size()));
  }
  if (ders.empty()) return InvalidArgument("no certificate in the PEM text");
  return ders;
}

}  // namespace vtpmd::ca
