#pragma once
// Manufacturing a vTPM's endorsement: what a TPM vendor's production line does
// before a TPM ships, done by vtpmd before a guest ever sees the TPM.

#include <tss2/tss2_esys.h>

#include <vector>

#include "core/result.h"
#include "vtpm/instance_spec.h"

namespace vtpmd::vtpm {

// One manufacturing cycle on a TPM that was just reset and not yet started:
// TPM2_Startup(CLEAR); per algorithm the TCG default EK, persisted (reused if it
// is there already) and its certificate from `certifier` written to the EK
// certificate index under the platform hierarchy (rewritten only when missing or
// different); then the platform hierarchy is disabled, as firmware does before
// handing a TPM to an OS, and TPM2_Shutdown(STATE) leaves the state orderly. The
// TPM stays started, so tools can use it until its next reset.
Result<std::vector<ProvisionedEk>> ManufactureEks(ESYS_CONTEXT* esys, const std::vector<EkAlgorithm>& algorithms,
                                                  const EkCertifier& certifier);

}  // namespace vtpmd::vtpm
