#include "server/api/event_routes.h"

#include <boost/json.hpp>

#include "server/api/event_json.h"
#include "server/api/event_type_patterns.h"
#include "server/api/json_io.h"
#include "server/api/query.h"

namespace vtpmd::api {
namespace {

constexpr std::int64_t kDefaultLimit = 100;
constexpr std::int64_t kMaxLimit = 1000;

}  // namespace

Status AddEventRoutes(http::Router& router, const auth::Authorizer& authorizer, const app::EventLog& events) {
  return router.Add("GET", "/v1/events",
                    [&authorizer, &events](const http::HttpRequest& request,
                                           const http::PathParams&) -> Result<http::HttpResponse> {
                      VTPMD_RETURN_IF_ERROR(authorizer.Require(request, {auth::Role::kAdmin, auth::Role::kSubscriber}));
                      VTPMD_ASSIGN_OR_RETURN(QueryParams params, ParseQuery(request.query));
                      VTPMD_RETURN_IF_ERROR(RejectUnknownParams(params, {"after", "limit", "subject", "types"}));
                      app::EventQuery query;
                      VTPMD_ASSIGN_OR_RETURN(query.after_seq, IntegerParam(params, "after", 0, 0, INT64_MAX));
                      VTPMD_ASSIGN_OR_RETURN(std::int64_t limit,
                                             IntegerParam(params, "limit", kDefaultLimit, 1, kMaxLimit));
                      query.limit = static_cast<std::size_t>(limit);
                      if (auto subject = params.find("subject"); subject != params.end()) query.subject = subject->second;
                      if (auto types = params.find("types"); types != params.end()) {
                        VTPMD_ASSIGN_OR_RETURN(query.types, ParseEventTypePatterns(types->second));
                      }
                      VTPMD_ASSIGN_OR_RETURN(app::EventPage page, events.List(query));
                      boost::json::array items;
                      for (const app::Event& event : page.events) items.push_back(EventJson(event));
                      return JsonResponse(200, boost::json::object{{"events", std::move(items)},
                                                                   {"next_after", page.next_after}});
                    });
}

}  // namespace vtpmd::api
