#pragma once
// Name lookups for webhook callbacks, on a few threads of their own. getaddrinfo
// blocks, and Asio runs all of an I/O context's lookups on one hidden thread, so
// a single callback host whose DNS hangs would hold up every new connection to
// every other subscriber. Here concurrent lookups of one host share a call, and a
// hanging host holds one thread of several.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/result.h"
#include "server/webhooks/callback_url.h"

namespace vtpmd::webhooks {

class HostResolver {
 public:
  // The host's addresses (IPv4 and IPv6, as the system resolver orders them), or
  // why there are none. Called on a resolver thread; must not block.
  using Done = std::function<void(Result<std::vector<IpAddress>>)>;
  // Blocks for as long as the lookup takes.
  using Lookup = std::function<Result<std::vector<IpAddress>>(const std::string& host)>;

  // The system resolver (getaddrinfo); tests pass a lookup of their own.
  static Lookup SystemLookup();
  static Result<std::unique_ptr<HostResolver>> Start(std::size_t threads, Lookup lookup = SystemLookup());
  // Waits for lookups in progress (getaddrinfo cannot be interrupted: at most the
  // system resolver's timeout) and answers those never started with an error.
  ~HostResolver();
  HostResolver(const HostResolver&) = delete;
  HostResolver& operator=(const HostResolver&) = delete;

  // Thread-safe.
  void Resolve(const std::string& host, Done done);

 private:
  explicit HostResolver(Lookup lookup) : lookup_(std::move(lookup)) {}
  void Serve();

  const Lookup lookup_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::deque<std::string> queued_;                        // hosts not yet being looked up
  std::map<std::string, std::vector<Done>, std::less<>> waiting_;  // by host: queued or in progress
  std::vector<std::thread> threads_;
};

}  // namespace vtpmd::webhooks
