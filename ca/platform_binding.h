#pragma once
// Certification method aik-certifies-ek (the paper's solution 1): when vtpmd
// issues an EK' certificate, the platform AIK quotes with qualifying data =
// SHA-256 of the certificate's to-be-signed contents, and the quote travels in
// the certificate. A verifier thereby learns which host made the vTPM and in
// which measured state, from the certificate alone.
//
//   PlatformBinding ::= SEQUENCE {
//     version                 INTEGER (1),
//     platformAikCertificate  OCTET STRING,  -- DER, issued by the privacy CA
//     attest                  OCTET STRING,  -- TPMS_ATTEST (TPM_ST_ATTEST_QUOTE)
//     signature               OCTET STRING,  -- TPMT_SIGNATURE over attest
//     pcrValues               OCTET STRING } -- the quoted PCRs, in TPM order
//
// The extension (oid::kPlatformBinding) is the last one of the certificate; the
// digest is over the TBSCertificate re-encoded without it.

#include <openssl/x509.h>

#include <map>
#include <optional>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/store.h"

namespace vtpmd::ca {

struct PlatformBinding {
  Bytes platform_aik_certificate;
  Bytes attest;
  Bytes signature;
  Bytes pcr_values;
};

Result<Bytes> EncodePlatformBinding(const PlatformBinding& binding);
// Strict: version 1, every field present and non-empty, no trailing bytes.
Result<PlatformBinding> ParsePlatformBinding(ByteView der);

// SHA-256 of `certificate`'s TBSCertificate without the binding extension.
Result<Bytes> PlatformBindingDigest(X509* certificate);
// The binding carried by `certificate`, if any.
Result<std::optional<PlatformBinding>> FindPlatformBinding(X509* certificate);
// Adds the binding as the last extension; the caller then signs the certificate.
Status AddPlatformBinding(X509* certificate, const PlatformBinding& binding);

// Reference values for the platform's SHA-256 PCRs: each listed PCR must hold one
// of its allowed values. An empty policy constrains nothing (and says so).
struct PlatformPolicy {
  std::map<unsigned, std::vector<Bytes>> allowed_sha256;
};

// Checks that the binding is a genuine quote by `platform_aik` (already trusted by
// the caller) over exactly this certificate, that the PCR values are the quoted
// ones, and that they satisfy `policy`. Refusals are kUnsupported with the reason.
Status VerifyPlatformBinding(X509* ek_certificate, const PlatformBinding& binding, EVP_PKEY* platform_aik,
                             const PlatformPolicy& policy);

// The whole check of an EK' certificate issued with method aik-certifies-ek: it
// carries a binding whose platform AIK certificate this CA issued to a host TPM
// (valid at `now`, not revoked), and the binding verifies against that key.
Status VerifyBoundEkCertificate(Store& store, X509* ek_certificate, const PlatformPolicy& policy, TimePoint now);

}  // namespace vtpmd::ca
