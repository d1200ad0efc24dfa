#pragma once
// Whether a certificate's extended key usage names a purpose (EK, AIK, ...).

#include <openssl/x509.h>

#include <string_view>

namespace vtpmd::ca {

// False when the certificate has no extended key usage extension at all.
bool HasExtendedKeyUsage(X509* certificate, std::string_view dotted_oid);

}  // namespace vtpmd::ca
