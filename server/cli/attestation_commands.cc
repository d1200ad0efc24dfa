#include "server/cli/attestation_commands.h"

#include <boost/json.hpp>

#include <charconv>
#include <sstream>

#include "core/bytes.h"
#include "core/file_io.h"
#include "core/pcr_selection.h"
#include "core/random.h"
#include "policy/event_log.h"
#include "policy/event_log_json.h"
#include "server/cli/guest_quote.h"

namespace vtpmd::cli {
namespace {

constexpr std::size_t kNonceBytes = 32;
constexpr std::size_t kMaxChainFile = 64 * 1024;

Result<TPM2_HANDLE> ParseHandle(const std::string& text) {
  std::string_view digits = text;
  if (digits.starts_with("0x") || digits.starts_with("0X")) digits.remove_prefix(2);
  TPM2_HANDLE handle = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), handle, 16);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return InvalidArgument("--aik-handle must be a hex TPM handle such as 0x81010010");
  }
  return handle;
}

std::string Text(const boost::json::value& v, std::string_view key) {
  const auto* field = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  return field != nullptr && field->is_string() ? std::string(field->as_string()) : std::string();
}

}  // namespace

Result<boost::json::value> Attest(ApiClient& api, const AttestOptions& options) {
  VTPMD_ASSIGN_OR_RETURN(TPM2_HANDLE handle, ParseHandle(options.aik_handle));
  VTPMD_ASSIGN_OR_RETURN(TPML_PCR_SELECTION selection, tpm::ParsePcrSelectionText(options.pcrs));
  VTPMD_ASSIGN_OR_RETURN(std::string chain, ReadSmallFile(options.aik_chain_file, kMaxChainFile));
  OsRng rng;
  VTPMD_ASSIGN_OR_RETURN(Bytes nonce, rng.Generate(kNonceBytes));
  VTPMD_ASSIGN_OR_RETURN(GuestQuote quote, CollectGuestQuote(options.tcti, handle, nonce, selection));

  boost::json::object evidence{{"quote", Base64Encode(quote.attest)},
                               {"signature", Base64Encode(quote.signature)},
                               {"pcr_values", policy::PcrValuesJsonObject(quote.pcrs)},
                               {"aik_certificate_chain", chain}};
  if (options.event_log_file) {
    VTPMD_ASSIGN_OR_RETURN(std::string log, ReadSmallFile(*options.event_log_file, policy::kMaxEventLogSize));
    evidence["event_log"] = Base64Encode(AsBytes(log));
  }
  boost::json::object request{{"instance_id", options.instance_id},
                              {"nonce", HexEncode(nonce)},
                              {"policy", options.policy},
                              {"deep_quote", options.deep_quote},
                              {"evidence", std::move(evidence)}};
  return api.Call("POST", "/v1/attestations", boost::json::value(std::move(request)));
}

std::string AttestationText(const boost::json::value& answer) {
  std::ostringstream out;
  out << Text(answer, "status") << "  attestation " << Text(answer, "id");
  if (!Text(answer, "instance_id").empty()) out << " of instance " << Text(answer, "instance_id");
  out << "\n";
  const auto* result = answer.is_object() ? answer.as_object().if_contains("result") : nullptr;
  const auto* submods = result != nullptr && result->is_object() ? result->as_object().if_contains("submods") : nullptr;
  if (submods == nullptr || !submods->is_object()) return out.str();
  for (const auto& [name, submod] : submods->as_object()) {
    out << "  " << std::string(name) << ": " << Text(submod, "status") << "\n";
    const auto* checks = submod.as_object().if_contains("checks");
    if (checks == nullptr || !checks->is_array()) continue;
    for (const auto& check : checks->as_array()) {
      if (Text(check, "outcome") == "passed") continue;
      out << "    " << Text(check, "check") << " " << Text(check, "outcome");
      if (!Text(check, "reason").empty()) out << " (" << Text(check, "reason") << ")";
      out << ": " << Text(check, "message") << "\n";
    }
  }
  return out.str();
}

Status AttestationVerdictStatus(const boost::json::value& answer) {
  if (Text(answer, "status") == "contraindicated") return FailedPrecondition("the attestation is contraindicated");
  return Ok();
}

}  // namespace vtpmd::cli
