#pragma once
// When the host TLS certificate must be re-issued: close to expiry, or its names no
// longer match what the operator configured.

#include "ca/ca_options.h"
#include "core/clock.h"
#include "core/openssl.h"
#include "core/result.h"

namespace vtpmd::ca {

inline constexpr std::chrono::days kHostTlsRenewBefore{30};

Result<bool> HostTlsNeedsReissue(X509* certificate, const CaOptions& options, const Clock& clock);

}  // namespace vtpmd::ca
