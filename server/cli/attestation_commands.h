#pragma once
// `vtpmctl attest`, `attestation show` and `attestation list`.

#include <boost/json/value.hpp>

#include <optional>
#include <string>

#include "core/result.h"
#include "server/cli/api_client.h"

namespace vtpmd::cli {

struct AttestOptions {
  std::string instance_id;
  std::string tcti;        // the guest's TPM, e.g. swtpm:path=<instance data socket>
  std::string aik_handle;  // persistent handle of the enrolled AIK, e.g. 0x81010010
  std::string aik_chain_file;
  std::string policy;
  std::string pcrs = "sha256:0,1,2,3,4,5,6,7";
  std::optional<std::string> event_log_file;
  bool deep_quote = true;
};

// Quotes in the guest's TPM over a fresh random nonce, submits the evidence and
// returns the server's answer.
Result<boost::json::value> Attest(ApiClient& api, const AttestOptions& options);

// The verdict and why, for people: the status, then each submodule with the
// reasons of its failed checks.
std::string AttestationText(const boost::json::value& answer);

// Contraindicated is a failure of the command (exit 1) once it has been printed.
Status AttestationVerdictStatus(const boost::json::value& answer);

}  // namespace vtpmd::cli
