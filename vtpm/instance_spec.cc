#include "vtpm/instance_spec.h"

#include <string>

#include "vtpm/platform_tpm.h"
#include "vtpm/tpm_templates.h"

namespace vtpmd::vtpm {

std::string_view EkAlgorithmName(EkAlgorithm algorithm) {
  switch (algorithm) {
    case EkAlgorithm::kRsa2048: return "rsa2048";
    case EkAlgorithm::kEccP256: return "ecc-nist-p256";
  }
  return "unknown";
}

Result<EkAlgorithm> ParseEkAlgorithm(std::string_view name) {
  for (EkAlgorithm algorithm : {EkAlgorithm::kRsa2048, EkAlgorithm::kEccP256}) {
    if (name == EkAlgorithmName(algorithm)) return algorithm;
  }
  return InvalidArgument("unsupported EK algorithm '" + std::string(name) +
                         "'; expected \"rsa2048\" or \"ecc-nist-p256\"");
}

TPM2_HANDLE EkHandle(EkAlgorithm algorithm) {
  return algorithm == EkAlgorithm::kRsa2048 ? kEkRsaHandle : kEkEccHandle;
}

TPM2_HANDLE EkCertificateIndex(EkAlgorithm algorithm) {
  return algorithm == EkAlgorithm::kRsa2048 ? kEkRsaCertIndex : kEkEccCertIndex;
}

TPM2B_PUBLIC EkTemplate(EkAlgorithm algorithm) {
  return algorithm == EkAlgorithm::kRsa2048 ? tpm::EkRsaTemplate() : tpm::EkEccTemplate();
}

}  // namespace vtpmd::vtpm
