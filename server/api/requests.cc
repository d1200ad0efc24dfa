#include "server/api/requests.h"

#include "core/pcr_selection.h"
#include "core/uuid.h"
#include "server/api/json_io.h"

namespace vtpmd::api {
namespace {

constexpr std::size_t kMinNonceBytes = 8;
constexpr std::size_t kMaxNonceBytes = sizeof(TPMU_HA);  // the TPM's limit for qualifying data
constexpr std::string_view kDefaultQuotePcrs = "sha256:0-23";
constexpr std::size_t kMaxLabelLength = 200;
constexpr std::int64_t kMaxUid = 0x7fffffff;

// Labels end up in logs, listings and certificate subjects: printable text only.
Result<std::string> ValidLabel(std::optional<std::string> label) {
  if (!label) return std::string();
  if (label->size() > kMaxLabelLength) return InvalidArgument("label is longer than 200 characters");
  for (char c : *label) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return InvalidArgument("label contains control characters");
  }
  return std::move(*label);
}

Result<std::vector<std::string>> EkAlgorithms(std::optional<std::vector<std::string>> requested) {
  if (!requested) return std::vector<std::string>{"rsa2048", "ecc-nist-p256"};
  if (requested->empty()) return InvalidArgument("ek_algorithms must name at least one algorithm");
  for (std::size_t i = 0; i < requested->size(); ++i) {
    const std::string& alg = (*requested)[i];
    if (alg != "rsa2048" && alg != "ecc-nist-p256") {
      return Unsupported("EK algorithm '" + alg + "' is not offered (rsa2048, ecc-nist-p256)");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if ((*requested)[j] == alg) return InvalidArgument("ek_algorithms names '" + alg + "' twice");
    }
  }
  return std::move(*requested);
}

}  // namespace

Result<QuoteRequest> ParseQuoteRequest(const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(auto body, ParseJsonObject(request));
  VTPMD_RETURN_IF_ERROR(RejectUnknownFields(body, {"nonce", "pcrs"}));
  VTPMD_ASSIGN_OR_RETURN(std::string nonce_hex, RequiredString(body, "nonce"));
  auto nonce = HexDecode(nonce_hex);
  if (!nonce.ok()) return nonce.error().WithContext("nonce");
  if (nonce->size() < kMinNonceBytes || nonce->size() > kMaxNonceBytes) {
    return InvalidArgument("nonce must be 8 to 64 bytes (16 to 128 hex digits)");
  }
  VTPMD_ASSIGN_OR_RETURN(auto pcr_text, OptionalString(body, "pcrs"));
  auto selection = tpm::ParsePcrSelectionText(pcr_text.value_or(std::string(kDefaultQuotePcrs)));
  if (!selection.ok()) return selection.error().WithContext("pcrs");
  return QuoteRequest{std::move(*nonce), *selection};
}

Result<TokenRequest> ParseTokenRequest(const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(auto body, ParseJsonObject(request));
  VTPMD_RETURN_IF_ERROR(RejectUnknownFields(body, {"role", "label", "ttl_seconds"}));
  VTPMD_ASSIGN_OR_RETURN(std::string role_name, RequiredString(body, "role"));
  VTPMD_ASSIGN_OR_RETURN(auth::Role role, auth::RoleFromName(role_name));
  VTPMD_ASSIGN_OR_RETURN(auto label_text, OptionalString(body, "label"));
  VTPMD_ASSIGN_OR_RETURN(std::string label, ValidLabel(std::move(label_text)));
  VTPMD_ASSIGN_OR_RETURN(auto ttl_seconds, OptionalInteger(body, "ttl_seconds"));
  std::optional<std::chrono::seconds> ttl;  // range checked where tokens are issued
  if (ttl_seconds) ttl = std::chrono::seconds(*ttl_seconds);
  return TokenRequest{role, std::move(label), ttl};
}

Result<CreateInstanceRequest> ParseCreateInstanceRequest(const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(auto body, ParseJsonObject(request));
  VTPMD_RETURN_IF_ERROR(
      RejectUnknownFields(body, {"vm_id", "label", "certification_method", "ek_algorithms", "binding_uid"}));
  CreateInstanceRequest out;
  VTPMD_ASSIGN_OR_RETURN(std::string vm_id, RequiredString(body, "vm_id"));
  auto canonical = CanonicalUuid(vm_id);
  if (!canonical.ok()) return canonical.error().WithContext("vm_id");
  out.vm_id = std::move(*canonical);
  VTPMD_ASSIGN_OR_RETURN(auto label, OptionalString(body, "label"));
  VTPMD_ASSIGN_OR_RETURN(out.label, ValidLabel(std::move(label)));
  VTPMD_ASSIGN_OR_RETURN(auto method, OptionalString(body, "certification_method"));
  out.certification_method = method.value_or("local-ca");
  if (out.certification_method != "local-ca" && out.certification_method != "aik-certifies-ek" &&
      out.certification_method != "aik-certifies-aik") {
    return InvalidArgument("certification_method must be local-ca, aik-certifies-ek or aik-certifies-aik");
  }
  VTPMD_ASSIGN_OR_RETURN(auto algorithms, OptionalStringArray(body, "ek_algorithms"));
  VTPMD_ASSIGN_OR_RETURN(out.ek_algorithms, EkAlgorithms(std::move(algorithms)));
  VTPMD_ASSIGN_OR_RETURN(auto uid, OptionalInteger(body, "binding_uid"));
  if (uid) {
    if (*uid < 0 || *uid > kMaxUid) return InvalidArgument("binding_uid must be a uid (0 to 2147483647)");
    out.binding_uid = static_cast<uid_t>(*uid);
  }
  return out;
}

}  // namespace vtpmd::api
