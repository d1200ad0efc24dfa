#pragma once
// Keeps vTPM instances running: a background thread polls each instance and
// restarts one whose swtpm died without Stop() on the same state and key, with
// exponential backoff, and gives up after a bounded number of failed restarts.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "core/result.h"

namespace vtpmd::vtpm {

class VtpmInstance;

enum class InstanceEvent {
  kCrashed,        // the child died without Stop()
  kRestarted,      // a restart after a crash succeeded
  kRestartFailed,  // a restart attempt failed (retried with backoff until the attempts run out)
};

std::string_view InstanceEventName(InstanceEvent event);  // "crashed", "restarted", "restart-failed"

struct SupervisorOptions {
  std::chrono::milliseconds poll_interval{500};
  // Delay before the n-th restart in a row: initial_backoff * 2^(n-1), at most max_backoff.
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{30'000};
  // Once this many restarts in a row failed, the instance is left down (and
  // watched again once something else has started it).
  int max_restart_attempts = 8;
  // An instance that has run this long since its last crash is considered
  // healthy again: its next crash starts over at initial_backoff.
  std::chrono::milliseconds healthy_after{60'000};
};

// Runs on the supervisor thread, outside its lock: it may call Add() and
// Remove(), but not Shutdown(), and should not block for long.
using InstanceEventCallback = std::function<void(const std::string& id, InstanceEvent event)>;

class InstanceSupervisor {
 public:
  static Result<std::unique_ptr<InstanceSupervisor>> Start(SupervisorOptions options, InstanceEventCallback on_event);

  InstanceSupervisor(const InstanceSupervisor&) = delete;
  InstanceSupervisor& operator=(const InstanceSupervisor&) = delete;
  ~InstanceSupervisor();  // Shutdown()

  // kAlreadyExists for an id already supervised; kFailedPrecondition after Shutdown().
  Status Add(std::shared_ptr<VtpmInstance> instance);
  // Stops supervising (the instance keeps running). Waits while the supervisor
  // is restarting it, so that a Stop() right after cannot be undone by it; an
  // event already determined for it may still be delivered after this returns.
  Status Remove(std::string_view id);
  // Joins the thread, then stops every instance still supervised: none is left
  // running unwatched. Idempotent.
  void Shutdown();

 private:
  using SteadyClock = std::chrono::steady_clock;
  struct Entry {
    std::shared_ptr<VtpmInstance> instance;
    int strikes = 0;          // crashes and failed restarts since it last ran healthy_after
    int failed_restarts = 0;  // in a row
    std::optional<SteadyClock::time_point> restart_at;
    SteadyClock::time_point up_since;
    bool given_up = false;
    std::uint64_t starts_when_given_up = 0;  // VtpmInstance::start_count() then
  };

  InstanceSupervisor(SupervisorOptions options, InstanceEventCallback on_event)
      : options_(options), on_event_(std::move(on_event)) {}

  void Loop();
  // Supervisor thread, without mu_: at most one event per entry and sweep.
  std::optional<InstanceEvent> Check(Entry& entry, SteadyClock::time_point now);
  SteadyClock::duration Backoff(int strikes) const;

  const SupervisorOptions options_;
  const InstanceEventCallback on_event_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry, std::less<>> entries_;  // ordered: sweeps visit ids in order
  std::string in_flight_;                              // id the thread is checking without mu_; Remove() waits for it
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace vtpmd::vtpm
