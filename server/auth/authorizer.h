#pragma once
// Turns a request's "Authorization: Bearer ..." header into an authenticated token,
// or the error the client should see: 401 without valid credentials, 403 for a
// token whose role the route does not admit.

#include "core/result.h"
#include "server/auth/role.h"
#include "server/auth/token_store.h"
#include "server/http/http_types.h"

namespace vtpmd::auth {

class Authorizer {
 public:
  explicit Authorizer(const TokenStore& tokens) : tokens_(tokens) {}
  Result<TokenInfo> Require(const http::HttpRequest& request, RoleSet allowed) const;

 private:
  const TokenStore& tokens_;
};

}  // namespace vtpmd::auth
