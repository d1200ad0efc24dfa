#pragma once
// JSON renderings of TPM objects shared by the routes that report keys and PCRs.

#include <tss2/tss2_tpm2_types.h>

#include <boost/json/object.hpp>

#include <vector>

#include "core/result.h"
#include "vtpm/platform_tpm.h"

namespace vtpmd::api {

// {handle, algorithm, public (base64 TPM2B_PUBLIC), name (hex), public_key_pem}
Result<boost::json::object> TpmKeyJson(TPM2_HANDLE handle, const TPM2B_PUBLIC& key);
// {"sha256": {"0": "<hex>", ...}, ...}
Result<boost::json::object> PcrValuesJson(const std::vector<vtpm::PcrBankValues>& banks);
std::string HandleText(std::uint32_t handle);

}  // namespace vtpmd::api
