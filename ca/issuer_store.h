#pragma once
// Persistence of issuers in the `ca_issuers` table: certificate DER in clear, the
// PKCS#8 private key sealed with AES-256-GCM under the data key, bound by its AAD to
// the role so that records cannot be swapped between roles.

#include <optional>

#include "ca/issuer.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secret_bytes.h"
#include "core/store.h"

namespace vtpmd::ca {

// Inserts or replaces the role's record and records its certificate in `certificates`
// as signed by `signed_by` (whose record must exist). Callers run it in a Store::Transaction.
Status SaveIssuer(Store& store, const Issuer& issuer, IssuerRole signed_by, const SecretBytes& data_key,
                  TimePoint now, Rng& rng);

// nullopt when the role has no record. Errors name the role and say what is wrong
// (undecryptable key, key not matching the certificate, malformed record).
Result<std::optional<Issuer>> LoadIssuer(Store& store, IssuerRole role, const SecretBytes& data_key);

}  // namespace vtpmd::ca
