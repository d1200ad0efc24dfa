#pragma once
// PCR values by bank: what a log replays to, what a quote covers, what a policy allows.

#include <map>

#include "core/bytes.h"
#include "core/crypto.h"

namespace vtpmd::policy {

using PcrBankValues = std::map<unsigned, Bytes>;     // PCR index -> value
using PcrValues = std::map<HashAlg, PcrBankValues>;  // bank -> its PCRs

}  // namespace vtpmd::policy
