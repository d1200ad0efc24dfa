#pragma once

#include "server/auth/authorizer.h"
#include "server/auth/token_store.h"
#include "server/http/router.h"

namespace vtpmd::api {

// POST/GET /v1/tokens, DELETE /v1/tokens/{id}: admin only.
Status AddTokenRoutes(http::Router& router, const auth::Authorizer& authorizer, auth::TokenStore& tokens);

}  // namespace vtpmd::api
