#pragma once
// Tells the event log's readers (the webhook dispatcher, live SSE streams) that an
// event was recorded, so they read the log when there is something to read instead
// of polling it. A listener runs on the recording thread once the recording
// transaction is on stable storage, outside the store's lock; it should only hand
// the news on (post, notify), since the recorder waits for it.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace vtpmd::app {

class EventFeed {
 public:
  using Listener = std::function<void()>;
  using ListenerId = std::uint64_t;

  ListenerId Listen(Listener listener);
  // After it returns the listener is not running and will not run again.
  void Unlisten(ListenerId id);
  void Published();

 private:
  std::mutex mu_;  // held while listeners run, so Unlisten waits for a running one
  std::map<ListenerId, Listener> listeners_;
  ListenerId next_id_ = 1;
};

}  // namespace vtpmd::app
