#pragma once
// Certificate revocation lists (RFC 5280 §5), one per issuer. The latest CRL is
// kept in the store and served until it is stale (a revocation happened) or half
// its lifetime has passed, so relying parties that poll never see an expired CRL
// and a revocation shows up on the next fetch.

#include <chrono>

#include "ca/issuer.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/store.h"

namespace vtpmd::ca {

inline constexpr std::chrono::seconds kDefaultCrlLifetime = std::chrono::hours(24 * 7);

// DER of the issuer's current CRL, signing a new one (with the next CRL number)
// when needed. Runs its own store transaction.
Result<Bytes> CurrentCrl(Store& store, const Issuer& issuer, TimePoint now,
                         std::chrono::seconds lifetime = kDefaultCrlLifetime);

}  // namespace vtpmd::ca
