#pragma once
// Certificate serial numbers: 127 random bits, positive and non-zero (RFC 5280 §4.1.2.2
// allows 20 octets; unpredictable serials defeat chosen-prefix collision attacks).

#include "core/openssl.h"
#include "core/random.h"
#include "core/result.h"

namespace vtpmd::ca {

Result<ossl::Asn1IntegerPtr> RandomSerialNumber(Rng& rng);

// Upper-case hex of the certificate's serial, as kept in the `certificates` table.
Result<std::string> SerialHex(const X509* certificate);

}  // namespace vtpmd::ca
