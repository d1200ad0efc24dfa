#include "core/tpm_name.h"

#include "core/crypto.h"
#include "core/tpm_alg.h"
#include "core/tpm_wire.h"

namespace vtpmd::tpm {

Result<Bytes> ObjectName(const TPMT_PUBLIC& area) {
  VTPMD_ASSIGN_OR_RETURN(HashAlg name_alg, HashAlgFromTpm(area.nameAlg));
  VTPMD_ASSIGN_OR_RETURN(Bytes marshalled, MarshalPublicArea(area));
  VTPMD_ASSIGN_OR_RETURN(Bytes digest, Digest(name_alg, marshalled));
  Bytes name = {static_cast<std::uint8_t>(area.nameAlg >> 8), static_cast<std::uint8_t>(area.nameAlg & 0xff)};
  name.insert(name.end(), digest.begin(), digest.end());
  return name;
}

}  // namespace vtpmd::tpm
