#pragma once
// One epoll thread that serves the relays of every instance in the process, so
// a thousand idle instances cost file descriptors and a few hundred bytes each
// rather than a thousand threads. All relay state lives on this thread; other
// threads reach it only through Post() and Call().

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "core/unique_fd.h"

namespace vtpmd::vtpm {

class RelayHub;

// An fd's registration with the hub; removed from epoll when this goes away. It
// must be destroyed before the fd is closed (declare it after the UniqueFd).
class Watch {
 public:
  Watch() = default;
  Watch(Watch&& other) noexcept;
  Watch& operator=(Watch&& other) noexcept;
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;
  ~Watch();

  // EPOLLIN / EPOLLOUT; hang-ups and errors are always reported. Setting the
  // mask it already has costs no system call.
  void SetEvents(std::uint32_t events);

 private:
  friend class RelayHub;
  Watch(RelayHub* hub, int fd, std::uint64_t token, std::uint32_t events)
      : hub_(hub), fd_(fd), token_(token), events_(events) {}
  void Release();

  RelayHub* hub_ = nullptr;
  int fd_ = -1;
  std::uint64_t token_ = 0;
  std::uint32_t events_ = 0;
};

class RelayHub {
 public:
  using Handler = std::function<void(std::uint32_t events)>;

  // After any event the thread keeps polling, without sleeping, for `busy_poll`
  // before it blocks again. A relayed command otherwise pays two extra thread
  // wake-ups (guest -> hub, swtpm -> hub), each costing more than the relay's
  // own work; a TPM answers within this window and a guest sends its next
  // command within it, so a busy guest is served like a direct connection. The
  // price is CPU only while commands flow; idle instances cost nothing. Zero
  // disables it (the Linux analogue is SO_BUSY_POLL).
  static Result<std::shared_ptr<RelayHub>> Start(std::chrono::microseconds busy_poll = kDefaultBusyPoll);
  static constexpr std::chrono::microseconds kDefaultBusyPoll{50};

  RelayHub(const RelayHub&) = delete;
  RelayHub& operator=(const RelayHub&) = delete;
  // Stops and joins the thread. Relays hold the hub, so none is left by then.
  ~RelayHub();

  // Hub thread only. Events for a Watch that was destroyed earlier in the same
  // epoll batch are dropped, so handlers may tear down other handlers freely.
  Result<Watch> Add(int fd, std::uint32_t events, Handler handler);

  // Any thread; tasks run on the hub thread in the order posted.
  void Post(std::function<void()> task);
  // Runs `fn` on the hub thread and waits for its result. Not from the hub thread.
  template <typename Fn>
  std::invoke_result_t<Fn> Call(Fn fn) {
    std::packaged_task<std::invoke_result_t<Fn>()> task(std::move(fn));
    auto result = task.get_future();
    Post([&task] { task(); });
    return result.get();
  }
  bool OnHubThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  friend class Watch;
  RelayHub(UniqueFd epoll, UniqueFd wake, std::chrono::microseconds busy_poll)
      : epoll_(std::move(epoll)), wake_(std::move(wake)), busy_poll_(busy_poll) {}

  void Run();
  // Waits for events: polling until `poll_until`, then blocking.
  int Wait(epoll_event* events, std::chrono::steady_clock::time_point poll_until);
  void RunPostedTasks();
  void Modify(int fd, std::uint64_t token, std::uint32_t events);
  void Remove(int fd, std::uint64_t token);

  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd: Post() and shutdown wake the loop through it
  const std::chrono::microseconds busy_poll_;
  std::thread thread_;

  std::mutex mutex_;  // guards posted_ and stopping_
  std::vector<std::function<void()>> posted_;
  bool stopping_ = false;

  // Hub thread only.
  std::uint64_t next_token_ = 1;  // 0 is the wake eventfd
  std::unordered_map<std::uint64_t, Handler> handlers_;
};

}  // namespace vtpmd::vtpm
