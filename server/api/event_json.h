#pragma once
// The one JSON shape of an event, used by the list, the SSE stream and the docs.

#include <boost/json/object.hpp>

#include "server/app/event_log.h"

namespace vtpmd::api {

boost::json::object EventJson(const app::Event& event);

}  // namespace vtpmd::api
