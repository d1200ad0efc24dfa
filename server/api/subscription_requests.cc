#include "server/api/subscription_requests.h"

#include <boost/json.hpp>

#include "core/uuid.h"
#include "server/api/event_type_patterns.h"
#include "server/api/json_io.h"

namespace vtpmd::api {
namespace {

constexpr std::size_t kMaxUrlLength = 2048;
constexpr std::size_t kMaxFilterIds = 256;

Result<std::optional<std::vector<std::string>>> EventTypes(const boost::json::object& body) {
  VTPMD_ASSIGN_OR_RETURN(auto types, OptionalStringArray(body, "event_types"));
  if (!types) return types;
  if (types->empty()) return InvalidArgument("event_types: name at least one type or pattern (\"*\" for all)");
  if (types->size() > kMaxEventTypePatterns) return InvalidArgument("event_types: more than 32 patterns");
  for (const std::string& type : *types) {
    Status valid = CheckEventTypePattern(type);
    if (!valid.ok()) return valid.error().WithContext("event_types");
  }
  return types;
}

Result<std::optional<std::vector<std::string>>> UuidList(const boost::json::object& body, std::string_view key) {
  VTPMD_ASSIGN_OR_RETURN(auto ids, OptionalStringArray(body, key));
  if (!ids) return ids;
  if (ids->size() > kMaxFilterIds) return InvalidArgument(std::string(key) + ": more than 256 ids");
  for (std::string& id : *ids) {
    auto canonical = CanonicalUuid(id);
    if (!canonical.ok()) return canonical.error().WithContext(key);
    id = std::move(*canonical);
  }
  return ids;
}

Result<std::optional<std::string>> Url(const boost::json::object& body) {
  VTPMD_ASSIGN_OR_RETURN(auto url, OptionalString(body, "url"));
  if (url && url->size() > kMaxUrlLength) return InvalidArgument("url: longer than 2048 characters");
  return url;
}

}  // namespace

Result<app::SubscriptionSettings> ParseCreateSubscriptionRequest(const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(boost::json::object body, ParseJsonObject(request));
  VTPMD_RETURN_IF_ERROR(RejectUnknownFields(body, {"url", "event_types", "vm_ids", "instance_ids"}));
  app::SubscriptionSettings out;
  VTPMD_ASSIGN_OR_RETURN(auto url, Url(body));
  if (!url) return InvalidArgument("url: required");
  out.url = std::move(*url);
  VTPMD_ASSIGN_OR_RETURN(auto types, EventTypes(body));
  if (!types) return InvalidArgument("event_types: required");
  out.event_types = std::move(*types);
  VTPMD_ASSIGN_OR_RETURN(auto vm_ids, UuidList(body, "vm_ids"));
  if (vm_ids) out.vm_ids = std::move(*vm_ids);
  VTPMD_ASSIGN_OR_RETURN(auto instance_ids, UuidList(body, "instance_ids"));
  if (instance_ids) out.instance_ids = std::move(*instance_ids);
  return out;
}

Result<app::SubscriptionPatch> ParseSubscriptionPatchRequest(const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(boost::json::object body, ParseJsonObject(request));
  VTPMD_RETURN_IF_ERROR(RejectUnknownFields(body, {"url", "event_types", "vm_ids", "instance_ids", "state"}));
  app::SubscriptionPatch out;
  VTPMD_ASSIGN_OR_RETURN(out.url, Url(body));
  VTPMD_ASSIGN_OR_RETURN(out.event_types, EventTypes(body));
  VTPMD_ASSIGN_OR_RETURN(out.vm_ids, UuidList(body, "vm_ids"));
  VTPMD_ASSIGN_OR_RETURN(out.instance_ids, UuidList(body, "instance_ids"));
  VTPMD_ASSIGN_OR_RETURN(auto state, OptionalString(body, "state"));
  if (state) {
    if (*state == "active") {
      out.state = app::SubscriptionState::kActive;
    } else if (*state == "paused") {
      out.state = app::SubscriptionState::kPaused;
    } else {
      return InvalidArgument("state: \"active\" (resume) or \"paused\"");
    }
  }
  return out;
}

Result<std::optional<std::string>> ParseRedeliverRequest(const http::HttpRequest& request) {
  if (request.body.empty()) return std::optional<std::string>();
  VTPMD_ASSIGN_OR_RETURN(boost::json::object body, ParseJsonObject(request));
  VTPMD_RETURN_IF_ERROR(RejectUnknownFields(body, {"subscription_id"}));
  VTPMD_ASSIGN_OR_RETURN(auto id, OptionalString(body, "subscription_id"));
  if (id) {
    auto canonical = CanonicalUuid(*id);
    if (!canonical.ok()) return canonical.error().WithContext("subscription_id");
    id = std::move(*canonical);
  }
  return id;
}

}  // namespace vtpmd::api
