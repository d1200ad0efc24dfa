#pragma once

#include "server/app/policy_service.h"
#include "server/auth/authorizer.h"
#include "server/http/router.h"

namespace vtpmd::api {

// /v1/policies: attestation policies. Admins write them; challengers, who name a
// policy in their attestations, may read them too.
Status AddPolicyRoutes(http::Router& router, const auth::Authorizer& authorizer, app::PolicyService& policies);

}  // namespace vtpmd::api
