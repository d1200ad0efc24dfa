#include "server/api/system_routes.h"

#include <boost/json.hpp>

#include "schema/schema.h"
#include "server/api/json_io.h"

namespace vtpmd::api {

Status AddSystemRoutes(http::Router& router, const http::Metrics& metrics) {
  // Built once: /healthz is the hottest route and must not allocate JSON per request.
  static const std::string kHealthy = R"({"status":"ok"})";
  VTPMD_RETURN_IF_ERROR(router.Add("GET", "/healthz", [](const http::HttpRequest&, const http::PathParams&) -> Result<http::HttpResponse> {
    http::HttpResponse response;
    response.content_type = "application/json";
    response.body = kHealthy;
    return response;
  }));

  VTPMD_RETURN_IF_ERROR(router.Add("GET", "/metrics", [&metrics](const http::HttpRequest&, const http::PathParams&)
                                    -> Result<http::HttpResponse> {
    http::HttpResponse response;
    response.content_type = "text/plain; version=0.0.4";
    response.body = metrics.Render();
    return response;
  }));

  VTPMD_RETURN_IF_ERROR(router.Add("GET", "/v1/version", [](const http::HttpRequest&, const http::PathParams&) -> Result<http::HttpResponse> {
    return JsonResponse(200, boost::json::object{{"name", "vtpmd"}, {"version", VTPMD_VERSION}, {"api", "v1"}});
  }));

  VTPMD_RETURN_IF_ERROR(router.Add("GET", "/v1/openapi.json", [](const http::HttpRequest&, const http::PathParams&)
                                            -> Result<http::HttpResponse> {
    http::HttpResponse response;
    response.content_type = "application/json";
    response.body = std::string(schema::OpenApiJson());
    return response;
  }));
  return Ok();
}

}  // namespace vtpmd::api
