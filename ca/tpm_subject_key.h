#pragma once
// Puts a TPM key into a certificate as its SubjectPublicKeyInfo, encoded here.
// OpenSSL 3.0's X509_set_pubkey runs the key through its provider encoder and
// decoder, which costs more than signing the certificate; this path writes the
// algorithm and key bits directly. The certificate object then caches no decoded
// key (X509_get0_pubkey returns null on it): readers use its DER.

#include <openssl/x509.h>
#include <tss2/tss2_tpm2_types.h>

#include "core/result.h"

namespace vtpmd::ca {

// For areas tpm::PublicKeyFromTpm accepts (RSA, or ECC on P-256/P-384).
Status SetSubjectKeyFromTpm(X509* certificate, const TPMT_PUBLIC& area);

}  // namespace vtpmd::ca
