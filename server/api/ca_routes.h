#pragma once

#include "ca/hierarchy.h"
#include "server/http/router.h"

namespace vtpmd::api {

// GET /v1/ca/certificates: the issuers' certificates. Public: they are what clients pin.
Status AddCaRoutes(http::Router& router, const ca::CaHierarchy& hierarchy);

}  // namespace vtpmd::api
