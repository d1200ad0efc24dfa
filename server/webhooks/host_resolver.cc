#include "server/webhooks/host_resolver.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <utility>

namespace vtpmd::webhooks {
namespace {

Result<std::vector<IpAddress>> GetAddrInfo(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0) return Unavailable("resolve " + host + ": " + ::gai_strerror(rc));
  std::vector<IpAddress> addresses;
  for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    if (entry->ai_family == AF_INET) {
      std::array<std::uint8_t, 4> bytes{};
      std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in*>(entry->ai_addr)->sin_addr, bytes.size());
      addresses.push_back(IpAddress::V4(bytes));
    } else if (entry->ai_family == AF_INET6) {
      std::array<std::uint8_t, 16> bytes{};
      std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in6*>(entry->ai_addr)->sin6_addr, bytes.size());
      addresses.push_back(IpAddress::V6(bytes));
    }
  }
  ::freeaddrinfo(found);
  if (addresses.empty()) return Unavailable("resolve " + host + ": no IPv4 or IPv6 address");
  return addresses;
}

}  // namespace

HostResolver::Lookup HostResolver::SystemLookup() { return GetAddrInfo; }

Result<std::unique_ptr<HostResolver>> HostResolver::Start(std::size_t threads, Lookup lookup) {
  if (threads == 0) return InvalidArgument("the host resolver needs at least one thread");
  if (!lookup) return InvalidArgument("the host resolver needs a lookup");
  std::unique_ptr<HostResolver> resolver(new HostResolver(std::move(lookup)));
  for (std::size_t i = 0; i < threads; ++i) resolver->threads_.emplace_back([self = resolver.get()] { self->Serve(); });
  return resolver;
}

HostResolver::~HostResolver() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) thread.join();
  for (auto& [host, waiters] : waiting_) {
    for (Done& done : waiters) done(Unavailable("resolve " + host + ": the resolver stopped"));
  }
}

void HostResolver::Resolve(const std::string& host, Done done) {
  {
    std::lock_guard lock(mu_);
    auto [waiters, first] = waiting_.try_emplace(host);
    waiters->second.push_back(std::move(done));
    if (!first) return;  // a lookup of this host is queued or running: it answers this one too
    queued_.push_back(host);
  }
  wake_.notify_one();
}

void HostResolver::Serve() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queued_.empty(); });
    if (stopping_) return;
    std::string host = std::move(queued_.front());
    queued_.pop_front();
    lock.unlock();
    Result<std::vector<IpAddress>> addresses = lookup_(host);
    lock.lock();
    auto waiters = waiting_.extract(host);
    lock.unlock();
    for (Done& done : waiters.mapped()) done(addresses);
    lock.lock();
  }
}

}  // namespace vtpmd::webhooks
