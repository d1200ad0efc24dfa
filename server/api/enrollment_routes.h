#pragma once

#include "server/app/enrollment_service.h"
#include "server/auth/authorizer.h"
#include "server/http/router.h"

namespace vtpmd::api {

// /v1/aik/challenges and /v1/aik/challenges/{id}/activation (admin or host).
Status AddEnrollmentRoutes(http::Router& router, const auth::Authorizer& authorizer, app::EnrollmentService& service);

}  // namespace vtpmd::api
