#pragma once

#include "server/app/subscription_service.h"
#include "server/auth/authorizer.h"
#include "server/http/router.h"

namespace vtpmd::api {

// /v1/subscriptions and POST /v1/events/{id}/redeliver: webhook subscriptions,
// for subscribers (their own) and admins (all).
Status AddSubscriptionRoutes(http::Router& router, const auth::Authorizer& authorizer,
                             app::SubscriptionService& subscriptions);

}  // namespace vtpmd::api
