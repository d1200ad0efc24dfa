#include "server/app/event_feed.h"

#include <utility>

namespace vtpmd::app {

EventFeed::ListenerId EventFeed::Listen(Listener listener) {
  std::lock_guard lock(mu_);
  const ListenerId id = next_id_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void EventFeed::Unlisten(ListenerId id) {
  std::lock_guard lock(mu_);
  listeners_.erase(id);
}

void EventFeed::Published() {
  std::lock_guard lock(mu_);
  for (auto& [id, listener] : listeners_) listener();
}

}  // namespace vtpmd::app
