#pragma once
// CA private keys: generation and PKCS#8 encodings. Every encoding of private key
// material is returned as SecretBytes and intermediate buffers are wiped.

#include "ca/key_algorithm.h"
#include "core/openssl.h"
#include "core/result.h"
#include "core/secret_bytes.h"

namespace vtpmd::ca {

Result<ossl::PkeyPtr> GeneratePrivateKey(KeyAlgorithm algorithm);

// Which of our algorithms `key` is; keys of any other type or size are refused.
Result<KeyAlgorithm> IdentifyKeyAlgorithm(EVP_PKEY* key);
// The digest an issuer with this key signs certificates and CRLs with.
Result<const EVP_MD*> IssuerSigningDigest(EVP_PKEY* key);

Result<SecretBytes> ExportPkcs8Der(EVP_PKEY* key);
// Rejects malformed input and trailing bytes.
Result<ossl::PkeyPtr> ImportPkcs8Der(const SecretBytes& der);
// Unencrypted "BEGIN PRIVATE KEY" PEM, for TLS stacks that load keys from text.
Result<SecretBytes> ExportPkcs8Pem(EVP_PKEY* key);

}  // namespace vtpmd::ca
