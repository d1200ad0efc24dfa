#include "vtpm/relay/relay_hub.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <string>

namespace vtpmd::vtpm {
namespace {

constexpr std::uint64_t kWakeToken = 0;
constexpr int kMaxEventsPerWait = 64;

}  // namespace

Watch::Watch(Watch&& other) noexcept
    : hub_(std::exchange(other.hub_, nullptr)), fd_(other.fd_), token_(other.token_), events_(other.events_) {}

Watch& Watch::operator=(Watch&& other) noexcept {
  if (this != &other) {
    Release();
    hub_ = std::exchange(other.hub_, nullptr);
    fd_ = other.fd_;
    token_ = other.token_;
    events_ = other.events_;
  }
  return *this;
}

Watch::~Watch() {
  Release();
}

void Watch::Release() {
  if (hub_ != nullptr) hub_->Remove(fd_, token_);
  hub_ = nullptr;
}

void Watch::SetEvents(std::uint32_t events) {
  if (hub_ == nullptr || events == events_) return;
  hub_->Modify(fd_, token_, events);
  events_ = events;
}

Result<std::shared_ptr<RelayHub>> RelayHub::Start(std::chrono::microseconds busy_poll) {
  if (busy_poll.count() < 0) return InvalidArgument("the relay busy-poll window cannot be negative");
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll.valid()) return Unavailable(std::string("epoll_create1: ") + std::strerror(errno));
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) return Unavailable(std::string("eventfd: ") + std::strerror(errno));
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeToken;
  if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake.get(), &event) != 0) {
    return Unavailable(std::string("epoll_ctl: ") + std::strerror(errno));
  }
  std::shared_ptr<RelayHub> hub(new RelayHub(std::move(epoll), std::move(wake), busy_poll));
  hub->thread_ = std::thread([raw = hub.get()] { raw->Run(); });
  return hub;
}

RelayHub::~RelayHub() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_.get(), &one, sizeof(one));
  thread_.join();
}

Result<Watch> RelayHub::Add(int fd, std::uint32_t events, Handler handler) {
  assert(OnHubThread());
  const std::uint64_t token = next_token_++;
  epoll_event event{};
  event.events = events;
  event.data.u64 = token;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    return Unavailable(std::string("epoll_ctl add: ") + std::strerror(errno));
  }
  handlers_.emplace(token, std::move(handler));
  return Watch(this, fd, token, events);
}

void RelayHub::Modify(int fd, std::uint64_t token, std::uint32_t events) {
  assert(OnHubThread());
  epoll_event event{};
  event.events = events;
  event.data.u64 = token;
  // MOD allocates nothing; it fails only for an fd that is not registered, which
  // a live Watch rules out.
  [[maybe_unused]] const int rc = ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &event);
  assert(rc == 0);
}

void RelayHub::Remove(int fd, std::uint64_t token) {
  assert(OnHubThread());
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  handlers_.erase(token);
}

void RelayHub::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    posted_.push_back(std::move(task));
  }
  const std::uint64_t one = 1;
  // An eventfd write fails only when the counter would overflow, and then the
  // loop is already due to wake up.
  [[maybe_unused]] const ssize_t n = ::write(wake_.get(), &one, sizeof(one));
}

void RelayHub::RunPostedTasks() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(mutex_);
    tasks.swap(posted_);
  }
  for (auto& task : tasks) task();
}

int RelayHub::Wait(epoll_event* events, std::chrono::steady_clock::time_point poll_until) {
  while (std::chrono::steady_clock::now() < poll_until) {
    const int n = ::epoll_wait(epoll_.get(), events, kMaxEventsPerWait, 0);
    if (n != 0) return n;
  }
  return ::epoll_wait(epoll_.get(), events, kMaxEventsPerWait, -1);
}

void RelayHub::Run() {
  std::array<epoll_event, kMaxEventsPerWait> events;
  std::chrono::steady_clock::time_point poll_until;
  while (true) {
    const int n = Wait(events.data(), poll_until);
    if (n < 0) {
      if (errno == EINTR) continue;
      assert(false && "epoll_wait failed on a valid epoll fd");
      return;
    }
    if (busy_poll_.count() > 0) poll_until = std::chrono::steady_clock::now() + busy_poll_;
    for (int i = 0; i < n; ++i) {
      const epoll_event& event = events[static_cast<std::size_t>(i)];
      // Copied out: epoll_event is packed, so its u64 may not be bound by reference.
      const std::uint64_t token = event.data.u64;
      const std::uint32_t ready = event.events;
      if (token == kWakeToken) {
        std::uint64_t count;
        [[maybe_unused]] const ssize_t r = ::read(wake_.get(), &count, sizeof(count));
        RunPostedTasks();
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        continue;
      }
      auto it = handlers_.find(token);
      if (it == handlers_.end()) continue;
      // A copy, because the handler may destroy its own Watch (and the stored
      // std::function with it) while it runs.
      Handler handler = it->second;
      handler(ready);
    }
  }
}

}  // namespace vtpmd::vtpm
