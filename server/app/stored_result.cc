#include "server/app/stored_result.h"

#include <boost/json.hpp>

#include <array>
#include <utility>

#include "core/crypto.h"

namespace vtpmd::app {
namespace {

struct ChainField {
  std::string_view section;
  std::string_view name;
  bool from_evidence;  // as the client sent it
};

// Where results quote chains (attestation_service.cc builds them).
constexpr std::array<ChainField, 2> kChainFields{
    {{"evidence", "aik_certificate_chain", true}, {"deep_quote", "platform_aik_certificate_chain", false}}};
constexpr std::string_view kDigestKey = "sha256";

boost::json::value* FindChain(boost::json::object& result, const ChainField& field) {
  boost::json::value* section = result.if_contains(field.section);
  if (section == nullptr || !section->is_object()) return nullptr;
  return section->as_object().if_contains(field.name);
}

}  // namespace

// Serialized twice rather than splicing the chains into one text:
// finding where a value sits in serialized JSON would trust strings a client chose.
Result<SerializedResult> SerializeResult(boost::json::object result, bool evidence_chain_verified) {
  SerializedResult out;
  out.full_json = boost::json::serialize(result);
  for (const ChainField& field : kChainFields) {
    if (field.from_evidence && !evidence_chain_verified) continue;
    boost::json::value* chain = FindChain(result, field);
    if (chain == nullptr || !chain->is_string()) continue;
    std::string pem(chain->get_string());
    VTPMD_ASSIGN_OR_RETURN(Bytes digest, Sha256(AsBytes(pem)));
    *chain = boost::json::object{{kDigestKey, HexEncode(digest)}};
    out.chains.push_back({std::move(digest), std::move(pem)});
  }
  out.stored_json = out.chains.empty() ? out.full_json : boost::json::serialize(result);
  return out;
}

Result<std::string> ExpandStoredResult(std::string_view stored_json, const ChainLookup& chain_pem) {
  boost::system::error_code error;
  boost::json::value parsed = boost::json::parse(stored_json, error);
  if (error || !parsed.is_object()) return Internal("a stored attestation result is not a JSON object");
  bool expanded = false;
  for (const ChainField& field : kChainFields) {
    boost::json::value* chain = FindChain(parsed.as_object(), field);
    if (chain == nullptr || !chain->is_object()) continue;  // absent, or inline
    const boost::json::value* hex = chain->as_object().if_contains(kDigestKey);
    if (hex == nullptr || !hex->is_string()) {
      return Internal("a stored attestation result refers to a certificate chain without its digest");
    }
    VTPMD_ASSIGN_OR_RETURN(Bytes digest, HexDecode(hex->get_string()));
    VTPMD_ASSIGN_OR_RETURN(std::string pem, chain_pem(digest));
    *chain = pem;
    expanded = true;
  }
  if (!expanded) return std::string(stored_json);
  return boost::json::serialize(parsed);
}

}  // namespace vtpmd::app
