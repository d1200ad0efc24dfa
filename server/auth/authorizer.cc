#include "server/auth/authorizer.h"

#include <string>

namespace vtpmd::auth {

Result<TokenInfo> Authorizer::Require(const http::HttpRequest& request, RoleSet allowed) const {
  const auto header = request.Header("Authorization");
  if (!header) return Unauthenticated("this resource needs a bearer token");
  constexpr std::string_view kScheme = "Bearer ";
  if (header->size() < kScheme.size() || !http::EqualsIgnoreCase(header->substr(0, kScheme.size()), kScheme))
    return Unauthenticated("only Bearer authorization is accepted");
  VTPMD_ASSIGN_OR_RETURN(TokenInfo token, tokens_.Authenticate(header->substr(kScheme.size())));
  if (!allowed.Contains(token.role)) {
    return PermissionDenied("a token with role '" + std::string(RoleName(token.role)) + "' may not use this resource");
  }
  return token;
}

}  // namespace vtpmd::auth
