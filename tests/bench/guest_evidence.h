#pragma once
// The evidence vtpmd_attest_loadgen replays, made ahead in a guest's vTPM: AIKs
// (ECDSA P-256, or RSA-2048 with RSASSA as tpm2_createak makes by default) that are
// primary keys of the endorsement hierarchy (made distinct by their index in the
// template's unique field), each enrolled with vtpmd's privacy CA by
// credential activation with the vTPM's persistent RSA EK and then quoting
// sha256:0,1,2,16 over random nonces. Made ahead because a quote can be submitted
// only once, and only after the ones its AIK made before it (the server keeps
// every AIK's clock history).

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace vtpmd::bench {

enum class AikAlgorithm { kEccP256, kRsa2048 };

struct EvidencePlan {
  std::string host;  // vtpmd, loopback
  unsigned port = 0;
  std::string admin_token;  // enrolls the AIKs
  std::string instance_id;
  std::string tcti;  // the instance's vTPM, as GET /v1/instances/{id} gives it in attach.tcti
  unsigned aiks = 0;
  unsigned quotes_per_aik = 0;
  AikAlgorithm aik_algorithm = AikAlgorithm::kEccP256;
};

// One AIK's quotes as pieces of POST /v1/attestations bodies: a body is the
// caller's head ({"instance_id":..,"policy":..,) + one of quote_parts +
// chain_tail, put together when sent so that memory holds the chain once per AIK.
struct PreparedAik {
  std::vector<std::string> quote_parts;  // "nonce":..,"evidence":{"quote":..,"signature":..,"pcr_values":{..}
  std::string chain_tail;                // ,"aik_certificate_chain":"PEM"}}
};

// The AIKs one after another (the TPM holds only a few transient objects), with
// progress on stderr.
Result<std::vector<PreparedAik>> PrepareGuestEvidence(const EvidencePlan& plan);

// `text` as a JSON string literal, quotes included.
std::string JsonString(std::string_view text);

}  // namespace vtpmd::bench
