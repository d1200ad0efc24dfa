#include "server/api/event_json.h"

#include <boost/json.hpp>

#include "server/api/time_format.h"

namespace vtpmd::api {

boost::json::object EventJson(const app::Event& event) {
  boost::system::error_code ec;
  boost::json::value data = boost::json::parse(event.data_json, ec);
  boost::json::object out{{"seq", event.seq},
                          {"id", event.id},
                          {"type", event.type},
                          {"subject", event.subject},
                          {"data", ec ? boost::json::value() : std::move(data)},
                          {"time", Rfc3339FromUnixSeconds(event.created_at)}};
  if (!event.scope.instance_id.empty()) out["instance_id"] = event.scope.instance_id;
  if (!event.scope.vm_id.empty()) out["vm_id"] = event.scope.vm_id;
  return out;
}

}  // namespace vtpmd::api
