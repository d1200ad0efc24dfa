#pragma once

#include "server/app/event_log.h"
#include "server/auth/authorizer.h"
#include "server/http/router.h"

namespace vtpmd::api {

// GET /v1/events?after=SEQ&limit=N&subject=S: the durable event log, oldest first.
Status AddEventRoutes(http::Router& router, const auth::Authorizer& authorizer, const app::EventLog& events);

}  // namespace vtpmd::api
