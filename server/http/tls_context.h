#pragma once
// TLS policy for both ends, on plain OpenSSL handles so that this header stays
// free of Asio: TLS 1.2 minimum (1.3 preferred by negotiation), ECDHE with
// AES-GCM or ChaCha20-Poly1305 only for 1.2, no compression, no renegotiation.

#include <openssl/ssl.h>

#include <string>
#include <string_view>

#include "core/result.h"
#include "core/secret_bytes.h"

namespace vtpmd::http {

struct TlsIdentity {
  std::string certificate_chain_pem;  // leaf first, then intermediates
  SecretBytes private_key_pem;
};

Status ConfigureServerTls(SSL_CTX* ctx, const TlsIdentity& identity);

// Trusts only `ca_pem` (unless `insecure`, for loopback benchmarks and tests).
Status ConfigureClientTls(SSL_CTX* ctx, std::string_view ca_pem, bool insecure);

// Trusts the system's default CA store plus `extra_ca_pem` (may be empty): for
// peers anywhere on the Internet, such as webhook receivers.
Status ConfigureSystemTrustClientTls(SSL_CTX* ctx, std::string_view extra_ca_pem);

// Per connection: SNI for names, and the name or IP address the chain must match.
Status SetExpectedPeer(SSL* ssl, const std::string& host);

}  // namespace vtpmd::http
