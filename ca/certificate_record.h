#pragma once
// The `certificates` table: every certificate an issuer signs is recorded for
// listing and later revocation.

#include <optional>
#include <string_view>

#include "ca/issuer.h"
#include "core/openssl.h"
#include "core/bytes.h"
#include "core/result.h"
#include "core/store.h"

namespace vtpmd::ca {

// `kind` says what the certificate is for: an issuer role name, "ek", ...
Status RecordCertificate(Store& store, IssuerRole issuer, std::string_view kind, X509* certificate);

// The DER of a certificate recorded under `serial` (hex, as SerialHex writes it);
// nullopt when there is none.
Result<std::optional<Bytes>> FindCertificateDer(Store& store, std::string_view serial);

// RFC 2253 text of the certificate's subject ("" for an empty subject).
Result<std::string> SubjectText(X509* certificate);

}  // namespace vtpmd::ca
