#pragma once
// The privacy CA's certificate for a host signing key (certification method
// aik-certifies-aik): a restricted signing key in the platform TPM that the
// platform AIK certified with TPM2_Certify. The certificate makes it a CA for
// AIK' certificates only (path length 0), so the chain AIK' -> host key ->
// privacy CA -> root ties every AIK' it signs to this host's TPM.

#include <chrono>
#include <string>

#include "ca/issuer.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/openssl.h"
#include "core/random.h"
#include "core/result.h"
#include "core/store.h"

namespace vtpmd::ca {

inline constexpr std::string_view kHostSignerKind = "host-signer";

struct HostKeyEvidence {
  Bytes key_public;         // TPM2B_PUBLIC of the host signing key
  Bytes certify_attest;     // TPMS_ATTEST of TPM2_Certify by the platform AIK
  Bytes certify_signature;  // TPMT_SIGNATURE over it
};

// Checks that the key is a restricted, TPM-resident signing key, that the
// platform AIK certified exactly this key with `qualifying_data`, and issues
// (and records) its certificate, never outliving the platform AIK's.
Result<ossl::X509Ptr> IssueHostSigningKeyCertificate(const Issuer& privacy_ca, X509* platform_aik_certificate,
                                                     const HostKeyEvidence& evidence, ByteView qualifying_data,
                                                     const std::string& host_name, Store& store, const Clock& clock,
                                                     Rng& rng);

}  // namespace vtpmd::ca
