#pragma once
// A throwaway self-signed P-256 identity for "localhost" / 127.0.0.1.

#include "server/http/tls_context.h"

namespace vtpmd::http::testing {

// Returns a fresh identity each call; aborts the test binary on OpenSSL failure.
TlsIdentity MakeSelfSignedIdentity();

}  // namespace vtpmd::http::testing
