#include "ca/host_tls_renewal.h"

#include <set>
#include <string>

#include "ca/x509_time.h"

namespace vtpmd::ca {
namespace {

// Names as comparable strings; IP addresses by their octets so "::1" equals "0::1".
// A missing or unreadable SAN extension yields no names, which forces a re-issue.
using NameSet = std::set<std::string>;

ByteView Contents(const ASN1_STRING* value) {
  return {ASN1_STRING_get0_data(value), static_cast<std::size_t>(ASN1_STRING_length(value))};
}

std::string IpKey(ByteView octets) { return "IP:" + HexEncode(octets); }

NameSet CertificateNames(X509* certificate) {
  NameSet names;
  ossl::GeneralNamesPtr alt_names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  if (!alt_names) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(alt_names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(alt_names.get(), i);
    if (name->type == GEN_DNS) {
      names.insert("DNS:" + std::string(AsChars(Contents(name->d.dNSName))));
    } else if (name->type == GEN_IPADD) {
      names.insert(IpKey(Contents(name->d.iPAddress)));
    }
  }
  return names;
}

Result<NameSet> ConfiguredNames(const CaOptions& options) {
  NameSet names;
  for (const std::string& dns : options.tls_dns_names) names.insert("DNS:" + dns);
  for (const std::string& ip : options.tls_ip_addresses) {
    ossl::Asn1OctetStringPtr octets(a2i_IPADDRESS(ip.c_str()));
    if (!octets) return ossl::LastError("invalid TLS IP address \"" + ip + "\"", ErrorCode::kInvalidArgument);
    names.insert(IpKey(Contents(octets.get())));
  }
  return names;
}

}  // namespace

Result<bool> HostTlsNeedsReissue(X509* certificate, const CaOptions& options, const Clock& clock) {
  VTPMD_ASSIGN_OR_RETURN(TimePoint not_after, ToTimePoint(X509_get0_notAfter(certificate)));
  if (not_after - clock.Now() < kHostTlsRenewBefore) return true;
  const NameSet present = CertificateNames(certificate);
  VTPMD_ASSIGN_OR_RETURN(NameSet wanted, ConfiguredNames(options));
  return present != wanted;
}

}  // namespace vtpmd::ca
