#include "server/api/token_routes.h"

#include <boost/json.hpp>

#include "server/api/json_io.h"
#include "server/api/requests.h"
#include "server/api/time_format.h"

namespace vtpmd::api {
namespace {

boost::json::object TokenJson(const auth::TokenInfo& info) {
  boost::json::object out{{"id", info.id},
                          {"role", auth::RoleName(info.role)},
                          {"label", info.label},
                          {"created_at", Rfc3339FromUnixSeconds(info.created_at)}};
  if (info.expires_at) out["expires_at"] = Rfc3339FromUnixSeconds(*info.expires_at);
  if (info.revoked_at) out["revoked_at"] = Rfc3339FromUnixSeconds(*info.revoked_at);
  return out;
}

}  // namespace

Status AddTokenRoutes(http::Router& router, const auth::Authorizer& authorizer, auth::TokenStore& tokens) {
  const auth::RoleSet admin{auth::Role::kAdmin};

  VTPMD_RETURN_IF_ERROR(router.Add("POST", "/v1/tokens", [&, admin](const http::HttpRequest& request, const http::PathParams&)
                                       -> Result<http::HttpResponse> {
    VTPMD_RETURN_IF_ERROR(authorizer.Require(request, admin));
    VTPMD_ASSIGN_OR_RETURN(TokenRequest parsed, ParseTokenRequest(request));
    VTPMD_ASSIGN_OR_RETURN(auth::IssuedToken issued, tokens.Issue(parsed.role, parsed.label, parsed.ttl));
    boost::json::object out = TokenJson(issued.info);
    out["token"] = AsChars(issued.token.view());
    http::HttpResponse response = JsonResponse(201, out);
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
  }));

  VTPMD_RETURN_IF_ERROR(router.Add("GET", "/v1/tokens", [&, admin](const http::HttpRequest& request, const http::PathParams&)
                                      -> Result<http::HttpResponse> {
    VTPMD_RETURN_IF_ERROR(authorizer.Require(request, admin));
    VTPMD_ASSIGN_OR_RETURN(auto list, tokens.List());
    boost::json::array items;
    for (const auto& info : list) items.push_back(TokenJson(info));
    return JsonResponse(200, boost::json::object{{"tokens", std::move(items)}});
  }));

  VTPMD_RETURN_IF_ERROR(router.Add("DELETE", "/v1/tokens/{id}", [&, admin](const http::HttpRequest& request, const http::PathParams& params)
                                              -> Result<http::HttpResponse> {
    VTPMD_RETURN_IF_ERROR(authorizer.Require(request, admin));
    VTPMD_RETURN_IF_ERROR(tokens.Revoke(params.Get("id")));
    http::HttpResponse response;
    response.status = 204;
    return response;
  }));
  return Ok();
}

}  // namespace vtpmd::api
