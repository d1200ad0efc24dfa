#include "vtpm/instance_supervisor.h"

#include <algorithm>
#include <vector>

#include "vtpm/instance_process.h"

namespace vtpmd::vtpm {

std::string_view InstanceEventName(InstanceEvent event) {
  switch (event) {
    case InstanceEvent::kCrashed: return "crashed";
    case InstanceEvent::kRestarted: return "restarted";
    case InstanceEvent::kRestartFailed: return "restart-failed";
  }
  return "unknown";
}

Result<std::unique_ptr<InstanceSupervisor>> InstanceSupervisor::Start(SupervisorOptions options,
                                                                      InstanceEventCallback on_event) {
  if (options.poll_interval.count() <= 0 || options.initial_backoff.count() < 0 ||
      options.max_backoff < options.initial_backoff || options.max_restart_attempts < 1) {
    return InvalidArgument("supervisor options out of range");
  }
  if (!on_event) return InvalidArgument("supervisor needs an event callback");
  std::unique_ptr<InstanceSupervisor> supervisor(new InstanceSupervisor(options, std::move(on_event)));
  supervisor->thread_ = std::thread([raw = supervisor.get()] { raw->Loop(); });
  return supervisor;
}

InstanceSupervisor::~InstanceSupervisor() {
  Shutdown();
}

Status InstanceSupervisor::Add(std::shared_ptr<VtpmInstance> instance) {
  if (instance == nullptr) return InvalidArgument("no instance to supervise");
  std::lock_guard lock(mu_);
  if (stopping_) return FailedPrecondition("the instance supervisor is shut down");
  const std::string& id = instance->id();
  if (entries_.contains(id)) return AlreadyExists("vTPM instance " + id + " is already supervised");
  Entry entry;
  entry.instance = std::move(instance);
  entry.up_since = SteadyClock::now();
  entries_.emplace(id, std::move(entry));
  return Ok();
}

Status InstanceSupervisor::Remove(std::string_view id) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return in_flight_ != id; });
  auto it = entries_.find(id);
  if (it == entries_.end()) return NotFound("vTPM instance " + std::string(id) + " is not supervised");
  entries_.erase(it);
  return Ok();
}

void InstanceSupervisor::Shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::map<std::string, Entry, std::less<>> remaining;
  {
    std::lock_guard lock(mu_);
    remaining.swap(entries_);
  }
  for (auto& [id, entry] : remaining) {
    // The owner learns about a forced kill from its own Stop(); here only the
    // guarantee matters that nothing keeps running unwatched.
    static_cast<void>(entry.instance->Stop());
  }
}

void InstanceSupervisor::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.poll_interval, [this] { return stopping_; });
    std::vector<std::string> ids;
    for (const auto& [id, entry] : entries_) ids.push_back(id);
    for (const std::string& id : ids) {
      if (stopping_) break;
      auto it = entries_.find(id);
      if (it == entries_.end()) continue;
      // Map nodes are stable and Remove() waits for in_flight_, so the entry
      // outlives the unlocked check.
      Entry& entry = it->second;
      in_flight_ = id;
      lock.unlock();
      const std::optional<InstanceEvent> event = Check(entry, SteadyClock::now());
      lock.lock();
      in_flight_.clear();
      cv_.notify_all();
      if (event) {
        lock.unlock();
        on_event_(id, *event);
        lock.lock();
      }
    }
  }
}

std::optional<InstanceEvent> InstanceSupervisor::Check(Entry& entry, SteadyClock::time_point now) {
  VtpmInstance& instance = *entry.instance;
  if (entry.given_up) {
    if (instance.start_count() == entry.starts_when_given_up) return std::nullopt;
    // Someone else started it since (it may have crashed again already, which
    // the checks below see): supervise it afresh.
    Entry fresh;
    fresh.instance = std::move(entry.instance);
    fresh.up_since = now;
    entry = std::move(fresh);
  }
  if (entry.restart_at) {
    if (now < *entry.restart_at) return std::nullopt;
    Result<bool> restarted = instance.RestartIfCrashed();
    if (!restarted.ok()) {
      ++entry.strikes;
      ++entry.failed_restarts;
      entry.given_up = entry.failed_restarts >= options_.max_restart_attempts;
      entry.starts_when_given_up = instance.start_count();
      entry.restart_at.reset();
      if (!entry.given_up) entry.restart_at = now + Backoff(entry.strikes);
      return InstanceEvent::kRestartFailed;
    }
    entry.restart_at.reset();
    entry.failed_restarts = 0;
    entry.up_since = now;
    // false: it was stopped (or started) by its owner in the meantime.
    return *restarted ? std::optional(InstanceEvent::kRestarted) : std::nullopt;
  }
  if (!instance.Crashed()) {
    if (entry.strikes > 0 && now - entry.up_since >= options_.healthy_after) entry.strikes = 0;
    return std::nullopt;
  }
  ++entry.strikes;
  entry.restart_at = now + Backoff(entry.strikes);
  return InstanceEvent::kCrashed;
}

InstanceSupervisor::SteadyClock::duration InstanceSupervisor::Backoff(int strikes) const {
  SteadyClock::duration delay = options_.initial_backoff;
  for (int i = 1; i < strikes && delay < options_.max_backoff; ++i) delay *= 2;
  return std::min<SteadyClock::duration>(delay, options_.max_backoff);
}

}  // namespace vtpmd::vtpm
