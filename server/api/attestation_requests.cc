#include "server/api/attestation_requests.h"

#include <boost/json.hpp>

#include "core/uuid.h"
#include "policy/event_log.h"
#include "policy/pcr_values_json.h"
#include "policy/quoted_pcrs.h"
#include "policy/reference_policy.h"
#include "server/api/json_io.h"
#include "server/api/query.h"

namespace vtpmd::api {
namespace {

// A TPMS_ATTEST or TPMT_SIGNATURE is far smaller; tpm2_quote -o files of every bank
// stay under 8 KiB.
constexpr std::size_t kMaxQuotePartBytes = 4096;
constexpr std::size_t kMaxPcrFileBytes = 16 * 1024;
constexpr std::size_t kMaxChainPemBytes = 64 * 1024;
constexpr std::int64_t kDefaultLimit = 100;
constexpr std::int64_t kMaxLimit = 1000;

Result<Bytes> NonceField(const boost::json::object& body) {
  VTPMD_ASSIGN_OR_RETURN(std::string text, RequiredString(body, "nonce"));
  auto nonce = HexDecode(text);
  if (!nonce.ok() || nonce->size() < kMinNonceBytes || nonce->size() > kMaxNonceBytes) {
    return InvalidArgument("nonce must be hex of " + std::to_string(kMinNonceBytes) + " to " +
                           std::to_string(kMaxNonceBytes) + " bytes");
  }
  return nonce;
}

Result<std::string> PolicyNameField(const boost::json::object& body) {
  VTPMD_ASSIGN_OR_RETURN(std::string name, RequiredString(body, "policy"));
  auto valid = policy::ValidatePolicyName(name);
  if (!valid.ok()) return valid.error().WithContext("policy");
  return name;
}

Result<std::optional<std::int64_t>> PolicyVersionField(const boost::json::object& body) {
  VTPMD_ASSIGN_OR_RETURN(std::optional<std::int64_t> version, OptionalInteger(body, "policy_version"));
  if (version && *version < 1) return InvalidArgument("policy_version must be a positive integer");
  return version;
}

Result<policy::PcrValues> PcrField(const boost::json::object& evidence) {
  const bool as_file = evidence.contains("pcrs");
  const bool as_json = evidence.contains("pcr_values");
  if (as_file == as_json) return InvalidArgument("evidence needs exactly one of pcrs (tpm2_quote -o, base64) and pcr_values");
  if (as_file) {
    VTPMD_ASSIGN_OR_RETURN(Bytes file, Base64Field(evidence, "pcrs", kMaxPcrFileBytes));
    auto pcrs = policy::ParseTpm2ToolsPcrs(file);
    if (!pcrs.ok()) return pcrs.error().WithContext("evidence.pcrs");
    return pcrs;
  }
  const boost::json::value& json = evidence.at("pcr_values");
  if (!json.is_object()) return InvalidArgument("evidence.pcr_values must be an object of banks");
  auto pcrs = policy::ParsePcrValuesJson(boost::json::serialize(json));
  if (!pcrs.ok()) return pcrs.error().WithContext("evidence.pcr_values");
  return pcrs;
}

Result<app::GuestEvidence> EvidenceField(const boost::json::object& body) {
  const auto found = body.find("evidence");
  if (found == body.end() || !found->value().is_object()) return InvalidArgument("evidence must be an object");
  const boost::json::object& evidence = found->value().as_object();
  VTPMD_RETURN_IF_ERROR(
      RejectUnknownFields(evidence, {"quote", "signature", "pcrs", "pcr_values", "aik_certificate_chain", "event_log"}));
  app::GuestEvidence out;
  VTPMD_ASSIGN_OR_RETURN(out.attest, Base64Field(evidence, "quote", kMaxQuotePartBytes));
  VTPMD_ASSIGN_OR_RETURN(out.signature, Base64Field(evidence, "signature", kMaxQuotePartBytes));
  VTPMD_ASSIGN_OR_RETURN(out.pcrs, PcrField(evidence));
  VTPMD_ASSIGN_OR_RETURN(out.aik_chain_pem, RequiredString(evidence, "aik_certificate_chain"));
  if (out.aik_chain_pem.size() > kMaxChainPemBytes) return InvalidArgument("evidence.aik_certificate_chain is too long");
  VTPMD_ASSIGN_OR_RETURN(out.event_log, OptionalBase64Field(evidence, "event_log", policy::kMaxEventLogSize));
  return out;
}

}  // namespace

Result<app::GuestAttestationRequest> ParseGuestAttestationRequest(const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(boost::json::object body, ParseJsonObject(request));
  VTPMD_RETURN_IF_ERROR(RejectUnknownFields(
      body, {"instance_id", "vm_id", "nonce", "policy", "policy_version", "deep_quote", "evidence"}));
  app::GuestAttestationRequest out;
  VTPMD_ASSIGN_OR_RETURN(std::optional<std::string> instance_id, OptionalString(body, "instance_id"));
  VTPMD_ASSIGN_OR_RETURN(std::optional<std::string> vm_id, OptionalString(body, "vm_id"));
  if (instance_id.has_value() == vm_id.has_value()) return InvalidArgument("give exactly one of instance_id and vm_id");
  if (instance_id) {
    auto canonical = CanonicalUuid(*instance_id);
    if (!canonical.ok()) return canonical.error().WithContext("instance_id");
    out.instance_id = std::move(canonical).value();
  } else {
    auto canonical = CanonicalUuid(*vm_id);
    if (!canonical.ok()) return canonical.error().WithContext("vm_id");
    out.vm_id = std::move(canonical).value();
  }
  VTPMD_ASSIGN_OR_RETURN(out.nonce, NonceField(body));
  VTPMD_ASSIGN_OR_RETURN(out.policy_name, PolicyNameField(body));
  VTPMD_ASSIGN_OR_RETURN(out.policy_version, PolicyVersionField(body));
  if (const auto deep = body.find("deep_quote"); deep != body.end()) {
    if (!deep->value().is_bool()) return InvalidArgument("deep_quote must be true or false");
    out.deep_quote = deep->value().as_bool();
  }
  VTPMD_ASSIGN_OR_RETURN(out.evidence, EvidenceField(body));
  return out;
}

Result<app::PlatformAttestationRequest> ParsePlatformAttestationRequest(const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(boost::json::object body, ParseJsonObject(request));
  VTPMD_RETURN_IF_ERROR(RejectUnknownFields(body, {"nonce", "policy", "policy_version"}));
  app::PlatformAttestationRequest out;
  VTPMD_ASSIGN_OR_RETURN(out.nonce, NonceField(body));
  VTPMD_ASSIGN_OR_RETURN(out.policy_name, PolicyNameField(body));
  VTPMD_ASSIGN_OR_RETURN(out.policy_version, PolicyVersionField(body));
  return out;
}

Result<AttestationListQuery> ParseAttestationListQuery(const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(QueryParams params, ParseQuery(request.query));
  VTPMD_RETURN_IF_ERROR(RejectUnknownParams(params, {"instance", "status", "before", "limit"}));
  AttestationListQuery out;
  if (auto instance = params.find("instance"); instance != params.end()) {
    auto canonical = CanonicalUuid(instance->second);
    if (!canonical.ok()) return canonical.error().WithContext("query parameter 'instance'");
    out.filter.instance_id = std::move(canonical).value();
  }
  if (auto status = params.find("status"); status != params.end()) {
    if (status->second != "affirming" && status->second != "warning" && status->second != "contraindicated") {
      return InvalidArgument("query parameter 'status' must be affirming, warning or contraindicated");
    }
    out.filter.status = status->second;
  }
  if (params.contains("before")) {
    VTPMD_ASSIGN_OR_RETURN(std::int64_t before, IntegerParam(params, "before", 0, 1, INT64_MAX));
    out.filter.before_seq = before;
  }
  VTPMD_ASSIGN_OR_RETURN(std::int64_t limit, IntegerParam(params, "limit", kDefaultLimit, 1, kMaxLimit));
  out.filter.limit = static_cast<std::size_t>(limit);
  return out;
}

}  // namespace vtpmd::api
