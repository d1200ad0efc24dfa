#pragma once

#include "server/app/instance_manager.h"
#include "server/auth/authorizer.h"
#include "server/http/router.h"

namespace vtpmd::api {

// /v1/instances: create, list, show, delete, start, stop (admin).
Status AddInstanceRoutes(http::Router& router, const auth::Authorizer& authorizer, app::InstanceManager& instances);

}  // namespace vtpmd::api
