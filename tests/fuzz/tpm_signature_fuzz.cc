// TPMT_SIGNATURE from clients: parse, round-trip, and run it through verification
// against a fixed P-256 key so the r,s to DER conversion sees hostile sizes.
#include <cstddef>
#include <cstdint>

#include "core/tpm_keys.h"
#include "core/tpm_signature.h"
#include "core/tpm_wire.h"

namespace {

vtpmd::ossl::PkeyPtr FixedKey() {
  // tests/data/tpm/akecc.pub's point.
  TPMT_PUBLIC area{};
  area.type = TPM2_ALG_ECC;
  area.nameAlg = TPM2_ALG_SHA256;
  area.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  const auto x = *vtpmd::HexDecode("0af6915ec07d22aad2d1c824cdbafc28b435caa0bdb83a3be3df85c9abb72dd6");
  const auto y = *vtpmd::HexDecode("46f4e9a8b1336a026b06631a87dd078064fba582ca03c69bbdab90de479a7a34");
  area.unique.ecc.x.size = 32;
  std::copy(x.begin(), x.end(), area.unique.ecc.x.buffer);
  area.unique.ecc.y.size = 32;
  std::copy(y.begin(), y.end(), area.unique.ecc.y.buffer);
  auto key = vtpmd::tpm::PublicKeyFromTpm(area);
  if (!key.ok()) __builtin_trap();
  return std::move(*key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const vtpmd::ossl::PkeyPtr key = FixedKey();
  const vtpmd::ByteView input(data, size);
  auto signature = vtpmd::tpm::ParseSignature(input);
  if (!signature.ok()) return 0;
  auto marshalled = vtpmd::tpm::MarshalSignature(*signature);
  if (!marshalled.ok() || !std::equal(marshalled->begin(), marshalled->end(), input.begin(), input.end())) {
    __builtin_trap();
  }
  // Nobody holds this key's private half, so nothing may verify.
  if (vtpmd::tpm::VerifyTpmSignature(key.get(), input, *signature).ok()) __builtin_trap();
  return 0;
}
