#pragma once
// The durable event log: every lifecycle fact (instance created, crashed, ...) is a
// row before anyone is told about it, so a crash loses no event.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "core/store.h"

namespace vtpmd::app {

struct Event {
  std::int64_t seq;
  std::string id;
  std::string type;     // e.g. "instance.created"
  std::string subject;  // what it is about, e.g. "instances/<uuid>"
  std::string data_json;
  std::int64_t created_at;
};

class EventLog {
 public:
  EventLog(Store& store, const Clock& clock, Rng& rng) : store_(store), clock_(clock), rng_(rng) {}

  Status Record(std::string_view type, std::string_view subject, std::string_view data_json);
  // Events after `after_seq`, oldest first, at most `limit`; optionally about one subject.
  Result<std::vector<Event>> List(std::int64_t after_seq, std::size_t limit, std::string_view subject = {}) const;

 private:
  Store& store_;
  const Clock& clock_;
  Rng& rng_;
};

}  // namespace vtpmd::app
