#include "core/tpm_alg.h"

#include <cstdio>
#include <string>

namespace vtpmd::tpm {

Result<HashAlg> HashAlgFromTpm(TPM2_ALG_ID alg) {
  switch (alg) {
    case TPM2_ALG_SHA1: return HashAlg::kSha1;
    case TPM2_ALG_SHA256: return HashAlg::kSha256;
    case TPM2_ALG_SHA384: return HashAlg::kSha384;
    case TPM2_ALG_SHA512: return HashAlg::kSha512;
    default: break;
  }
  char id[8];
  std::snprintf(id, sizeof(id), "0x%04x", static_cast<unsigned>(alg));
  return Unsupported(std::string("unsupported TPM hash algorithm ") + id);
}

TPM2_ALG_ID TpmAlgFromHash(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1: return TPM2_ALG_SHA1;
    case HashAlg::kSha256: return TPM2_ALG_SHA256;
    case HashAlg::kSha384: return TPM2_ALG_SHA384;
    case HashAlg::kSha512: return TPM2_ALG_SHA512;
  }
  return TPM2_ALG_SHA256;
}

}  // namespace vtpmd::tpm
