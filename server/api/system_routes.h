#pragma once

#include "server/http/metrics.h"
#include "server/http/router.h"

namespace vtpmd::api {

// /healthz, /metrics, /v1/version, /v1/openapi.json: unauthenticated and cheap.
Status AddSystemRoutes(http::Router& router, const http::Metrics& metrics);

}  // namespace vtpmd::api
