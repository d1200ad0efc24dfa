#pragma once
// What a vTPM instance is provisioned with: its endorsement keys (EK') at the
// TCG default handles, with their certificates in the NV indices where
// tpm2_getekcertificate and every other TCG-conformant guest looks for them.

#include <tss2/tss2_tpm2_types.h>

#include <functional>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::vtpm {

enum class EkAlgorithm {
  kRsa2048,  // template L-1, persisted at 0x81010001, certificate at NV 0x01c00002
  kEccP256,  // template L-2, persisted at 0x81010002, certificate at NV 0x01c0000a
};

// "rsa2048" / "ecc-nist-p256": the names the REST API and the store use.
std::string_view EkAlgorithmName(EkAlgorithm algorithm);
// Fails with kInvalidArgument naming the accepted values.
Result<EkAlgorithm> ParseEkAlgorithm(std::string_view name);

TPM2_HANDLE EkHandle(EkAlgorithm algorithm);
TPM2_HANDLE EkCertificateIndex(EkAlgorithm algorithm);
TPM2B_PUBLIC EkTemplate(EkAlgorithm algorithm);

struct ProvisionedEk {
  EkAlgorithm algorithm = EkAlgorithm::kRsa2048;
  TPM2_HANDLE handle = 0;    // persistent handle of the EK
  TPM2_HANDLE nv_index = 0;  // NV index holding certificate_der
  TPM2B_PUBLIC public_area{};
  Bytes name;  // nameAlg || H(public area): the EK's identity in attestations
  Bytes certificate_der;
};

// Issues the EK certificate for a public area. vtpm does not know the CA: the
// server passes its EK authority in. Called on every manufacture, it decides
// whether to reissue: returning the certificate already issued for an unchanged
// EK leaves the NV index untouched.
using EkCertifier = std::function<Result<Bytes>(EkAlgorithm, const TPM2B_PUBLIC&)>;

}  // namespace vtpmd::vtpm
