#include "server/api/event_routes.h"

#include <boost/json.hpp>

#include "server/api/json_io.h"
#include "server/api/query.h"
#include "server/api/time_format.h"

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
                      VTPMD_RETURN_IF_ERROR(RejectUnknownParams(params, {"after", "limit", "subject"}));
                      VTPMD_ASSIGN_OR_RETURN(std::int64_t after, IntegerParam(params, "after", 0, 0, INT64_MAX));
                      VTPMD_ASSIGN_OR_RETURN(std::int64_t limit,
                                             IntegerParam(params, "limit", kDefaultLimit, 1, kMaxLimit));
                      const auto subject = params.find("subject");
                      VTPMD_ASSIGN_OR_RETURN(
                          auto list, events.List(after, static_cast<std::size_t>(limit),
                                                 subject == params.end() ? std::string_view() : subject->second));
                      boost::json::array items;
                      for (const app::Event& event : list) {
                        boost::system::error_code ec;
                        boost::json::value data = boost::json::parse(event.data_json, ec);
                        items.push_back(boost::json::object{{"seq", event.seq},
                                                            {"id", event.id},
                                                            {"type", event.type},
                                                            {"subject", event.subject},
                                                            {"data", ec ? boost::json::value() : data},
                                                            {"time", Rfc3339FromUnixSeconds(event.created_at)}});
                      }
                      const std::int64_t next = list.empty() ? after : list.back().seq;
                      return JsonResponse(200, boost::json::object{{"events", std::move(items)}, {"next_after", next}});
                    });
}

}  // namespace vtpmd::api
