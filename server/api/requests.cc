#include "server/api/requests.h"

#include "core/pcr_selection.h"
#include "server/api/json_io.h"

namespace vtpmd::api {
namespace {

constexpr std::size_t kMinNonceBytes = 8;
constexpr std::size_t kMaxNonceBytes = sizeof(TPMU_HA);  // the TPM's limit for qualifying data
constexpr std::string_view kDefaultQuotePcrs = "sha256:0-23";

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
  VTPMD_ASSIGN_OR_RETURN(auto label, OptionalString(body, "label"));
  VTPMD_ASSIGN_OR_RETURN(auto ttl_seconds, OptionalInteger(body, "ttl_seconds"));
  std::optional<std::chrono::seconds> ttl;  // range checked where tokens are issued
  if (ttl_seconds) ttl = std::chrono::seconds(*ttl_seconds);
  return TokenRequest{role, label.value_or(""), ttl};
}

}  // namespace vtpmd::api
