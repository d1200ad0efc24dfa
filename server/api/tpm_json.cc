#include "server/api/tpm_json.h"

#include <cstdio>

#include "core/bytes.h"
#include "core/openssl.h"
#include "core/tpm_alg.h"
#include "core/tpm_keys.h"
#include "core/tpm_name.h"
#include "core/tpm_wire.h"
#include "policy/event_log_json.h"

namespace vtpmd::api {
namespace {

std::string KeyAlgorithmName(const TPMT_PUBLIC& area) {
  if (area.type == TPM2_ALG_RSA) return "rsa" + std::to_string(area.parameters.rsaDetail.keyBits);
  if (area.type == TPM2_ALG_ECC) {
    switch (area.parameters.eccDetail.curveID) {
      case TPM2_ECC_NIST_P256: return "ecc-nist-p256";
      case TPM2_ECC_NIST_P384: return "ecc-nist-p384";
      default: return "ecc";
    }
  }
  return "unknown";
}

}  // namespace

std::string HandleText(std::uint32_t handle) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", handle);
  return buf;
}

Result<boost::json::object> TpmKeyJson(TPM2_HANDLE handle, const TPM2B_PUBLIC& key) {
  VTPMD_ASSIGN_OR_RETURN(Bytes marshalled, tpm::MarshalPublic(key));
  VTPMD_ASSIGN_OR_RETURN(Bytes name, tpm::ObjectName(key.publicArea));
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr pkey, tpm::PublicKeyFromTpm(key.publicArea));
  VTPMD_ASSIGN_OR_RETURN(std::string pem, ossl::PublicKeyPem(pkey.get()));
  return boost::json::object{{"handle", HandleText(handle)},
                             {"algorithm", KeyAlgorithmName(key.publicArea)},
                             {"public", Base64Encode(marshalled)},
                             {"name", HexEncode(name)},
                             {"public_key_pem", pem}};
}

Result<boost::json::object> PcrValuesJson(const std::vector<vtpm::PcrBankValues>& banks) {
  return policy::PcrValuesJsonObject(vtpm::ValuesByBank(banks));
}

}  // namespace vtpmd::api
