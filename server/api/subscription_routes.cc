#include "server/api/subscription_routes.h"

#include <string_view>

#include <boost/json.hpp>

#include "core/uuid.h"
#include "server/api/json_io.h"
#include "server/api/query.h"
#include "server/api/subscription_requests.h"
#include "server/api/time_format.h"

namespace vtpmd::api {
namespace {

constexpr std::int64_t kDefaultLimit = 100;
constexpr std::int64_t kMaxLimit = 1000;

boost::json::array JsonArray(const std::vector<std::string>& items) {
  boost::json::array out;
  for (const std::string& item : items) out.emplace_back(item);
  return out;
}

boost::json::object SubscriptionJson(const app::Subscription& s) {
  boost::json::object delivery{{"cursor", s.cursor},
                               {"failed_attempts_at_head", s.head_attempts},
                               {"failure_streak", s.failure_streak}};
  if (s.next_attempt_at_ms != 0) delivery["next_attempt_at"] = Rfc3339FromUnixSeconds(s.next_attempt_at_ms / 1000);
  boost::json::object out{{"id", s.id},
                          {"url", s.url},
                          {"event_types", JsonArray(s.event_types)},
                          {"vm_ids", JsonArray(s.vm_ids)},
                          {"instance_ids", JsonArray(s.instance_ids)},
                          {"state", app::SubscriptionStateName(s.state)},
                          {"created_at", Rfc3339FromUnixSeconds(s.created_at)},
                          {"delivery", std::move(delivery)}};
  if (!s.state_detail.empty()) out["state_detail"] = s.state_detail;
  if (s.previous_secret_until) out["previous_secret_valid_until"] = Rfc3339FromUnixSeconds(*s.previous_secret_until);
  return out;
}

boost::json::object WithSecret(const app::SubscriptionWithSecret& created) {
  boost::json::object out = SubscriptionJson(created.subscription);
  const ByteView secret = created.secret.view();
  out["secret"] = std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size());
  return out;
}

boost::json::object AttemptJson(const app::DeliveryAttempt& a) {
  boost::json::object out{{"seq", a.seq},
                          {"event_id", a.event_id},
                          {"event_seq", a.event_seq},
                          {"attempt", a.attempt},
                          {"attempted_at_ms", a.attempted_at_ms},
                          {"latency_us", a.latency_us},
                          {"outcome", app::AttemptOutcomeName(a.outcome)}};
  if (a.http_status) out["http_status"] = *a.http_status;
  if (!a.error.empty()) out["error"] = a.error;
  return out;
}

Result<std::string> IdParam(const http::PathParams& params) {
  auto id = CanonicalUuid(params.Get("id"));
  if (!id.ok()) return NotFound("no subscription " + std::string(params.Get("id")));
  return id;
}

}  // namespace

Status AddSubscriptionRoutes(http::Router& router, const auth::Authorizer& authorizer,
                             app::SubscriptionService& subscriptions) {
  // Every route resolves the caller the same way; the service scopes what it may touch.
  const auto caller = [&authorizer](const http::HttpRequest& request) -> Result<app::SubscriptionCaller> {
    VTPMD_ASSIGN_OR_RETURN(auth::TokenInfo token,
                           authorizer.Require(request, {auth::Role::kAdmin, auth::Role::kSubscriber}));
    return app::SubscriptionCaller{token.id, token.role == auth::Role::kAdmin};
  };

  VTPMD_RETURN_IF_ERROR(router.Add(
      "POST", "/v1/subscriptions",
      [caller, &subscriptions](const http::HttpRequest& request, const http::PathParams&) -> Result<http::HttpResponse> {
        VTPMD_ASSIGN_OR_RETURN(app::SubscriptionCaller who, caller(request));
        VTPMD_ASSIGN_OR_RETURN(app::SubscriptionSettings settings, ParseCreateSubscriptionRequest(request));
        VTPMD_ASSIGN_OR_RETURN(app::SubscriptionWithSecret created, subscriptions.Create(who, settings));
        http::HttpResponse response = JsonResponse(201, WithSecret(created));
        response.headers.emplace_back("Location", "/v1/subscriptions/" + created.subscription.id);
        response.headers.emplace_back("Cache-Control", "no-store");
        return response;
      }));
  VTPMD_RETURN_IF_ERROR(router.Add(
      "GET", "/v1/subscriptions",
      [caller, &subscriptions](const http::HttpRequest& request, const http::PathParams&) -> Result<http::HttpResponse> {
        VTPMD_ASSIGN_OR_RETURN(app::SubscriptionCaller who, caller(request));
        VTPMD_ASSIGN_OR_RETURN(QueryParams params, ParseQuery(request.query));
        VTPMD_RETURN_IF_ERROR(RejectUnknownParams(params, {}));
        VTPMD_ASSIGN_OR_RETURN(std::vector<app::Subscription> list, subscriptions.List(who));
        boost::json::array items;
        for (const app::Subscription& s : list) items.push_back(SubscriptionJson(s));
        return JsonResponse(200, boost::json::object{{"subscriptions", std::move(items)}});
      }));
  VTPMD_RETURN_IF_ERROR(router.Add(
      "GET", "/v1/subscriptions/{id}",
      [caller, &subscriptions](const http::HttpRequest& request,
                               const http::PathParams& params) -> Result<http::HttpResponse> {
        VTPMD_ASSIGN_OR_RETURN(app::SubscriptionCaller who, caller(request));
        VTPMD_ASSIGN_OR_RETURN(std::string id, IdParam(params));
        VTPMD_ASSIGN_OR_RETURN(app::Subscription found, subscriptions.Get(who, id));
        return JsonResponse(200, SubscriptionJson(found));
      }));
  VTPMD_RETURN_IF_ERROR(router.Add(
      "PATCH", "/v1/subscriptions/{id}",
      [caller, &subscriptions](const http::HttpRequest& request,
                               const http::PathParams& params) -> Result<http::HttpResponse> {
        VTPMD_ASSIGN_OR_RETURN(app::SubscriptionCaller who, caller(request));
        VTPMD_ASSIGN_OR_RETURN(std::string id, IdParam(params));
        VTPMD_ASSIGN_OR_RETURN(app::SubscriptionPatch patch, ParseSubscriptionPatchRequest(request));
        VTPMD_ASSIGN_OR_RETURN(app::Subscription updated, subscriptions.Update(who, id, patch));
        return JsonResponse(200, SubscriptionJson(updated));
      }));
  VTPMD_RETURN_IF_ERROR(router.Add(
      "DELETE", "/v1/subscriptions/{id}",
      [caller, &subscriptions](const http::HttpRequest& request,
                               const http::PathParams& params) -> Result<http::HttpResponse> {
        VTPMD_ASSIGN_OR_RETURN(app::SubscriptionCaller who, caller(request));
        VTPMD_ASSIGN_OR_RETURN(std::string id, IdParam(params));
        VTPMD_RETURN_IF_ERROR(subscriptions.Delete(who, id));
        http::HttpResponse response;
        response.status = 204;
        return response;
      }));
  VTPMD_RETURN_IF_ERROR(router.Add(
      "POST", "/v1/subscriptions/{id}/rotate-secret",
      [caller, &subscriptions](const http::HttpRequest& request,
                               const http::PathParams& params) -> Result<http::HttpResponse> {
        VTPMD_ASSIGN_OR_RETURN(app::SubscriptionCaller who, caller(request));
        VTPMD_ASSIGN_OR_RETURN(std::string id, IdParam(params));
        VTPMD_ASSIGN_OR_RETURN(app::SubscriptionWithSecret rotated, subscriptions.RotateSecret(who, id));
        http::HttpResponse response = JsonResponse(200, WithSecret(rotated));
        response.headers.emplace_back("Cache-Control", "no-store");
        return response;
      }));
  VTPMD_RETURN_IF_ERROR(router.Add(
      "GET", "/v1/subscriptions/{id}/deliveries",
      [caller, &subscriptions](const http::HttpRequest& request,
                               const http::PathParams& params) -> Result<http::HttpResponse> {
        VTPMD_ASSIGN_OR_RETURN(app::SubscriptionCaller who, caller(request));
        VTPMD_ASSIGN_OR_RETURN(std::string id, IdParam(params));
        VTPMD_ASSIGN_OR_RETURN(QueryParams query, ParseQuery(request.query));
        VTPMD_RETURN_IF_ERROR(RejectUnknownParams(query, {"before", "limit"}));
        VTPMD_ASSIGN_OR_RETURN(std::int64_t before, IntegerParam(query, "before", 0, 0, INT64_MAX));
        VTPMD_ASSIGN_OR_RETURN(std::int64_t limit, IntegerParam(query, "limit", kDefaultLimit, 1, kMaxLimit));
        VTPMD_ASSIGN_OR_RETURN(std::vector<app::DeliveryAttempt> attempts,
                               subscriptions.Deliveries(who, id, before, static_cast<std::size_t>(limit)));
        boost::json::array items;
        for (const app::DeliveryAttempt& a : attempts) items.push_back(AttemptJson(a));
        boost::json::object body{{"deliveries", std::move(items)}};
        if (!attempts.empty()) body["next_before"] = attempts.back().seq;
        return JsonResponse(200, body);
      }));
  return router.Add(
      "POST", "/v1/events/{id}/redeliver",
      [caller, &subscriptions](const http::HttpRequest& request,
                               const http::PathParams& params) -> Result<http::HttpResponse> {
        VTPMD_ASSIGN_OR_RETURN(app::SubscriptionCaller who, caller(request));
        VTPMD_ASSIGN_OR_RETURN(std::optional<std::string> subscription_id, ParseRedeliverRequest(request));
        VTPMD_ASSIGN_OR_RETURN(std::vector<std::string> queued,
                               subscriptions.Redeliver(who, params.Get("id"), subscription_id));
        boost::json::array ids;
        for (const std::string& id : queued) ids.emplace_back(id);
        return JsonResponse(202, boost::json::object{{"subscriptions", std::move(ids)}});
      });
}

}  // namespace vtpmd::api
