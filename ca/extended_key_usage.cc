#include "ca/extended_key_usage.h"

#include <openssl/x509v3.h>

#include <string>

#include "core/openssl.h"

namespace vtpmd::ca {

bool HasExtendedKeyUsage(X509* certificate, std::string_view dotted_oid) {
  using Asn1ObjectPtr = ossl::Owned<ASN1_OBJECT, ASN1_OBJECT_free>;
  using ExtendedKeyUsagePtr = ossl::Owned<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>;
  Asn1ObjectPtr wanted(OBJ_txt2obj(std::string(dotted_oid).c_str(), 1));
  ExtendedKeyUsagePtr usages(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(certificate, NID_ext_key_usage, nullptr, nullptr)));
  if (!wanted || !usages) return false;
  for (int i = 0; i < sk_ASN1_OBJECT_num(usages.get()); ++i) {
    if (OBJ_cmp(sk_ASN1_OBJECT_value(usages.get(), i), wanted.get()) == 0) return true;
  }
  return false;
}

}  // namespace vtpmd::ca
