// Callback name lookups: the system resolver's answers and errors come through,
// concurrent lookups of one host share a call, and a host whose lookup hangs
// holds up no other host.
#include "server/webhooks/host_resolver.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>

namespace vtpmd::webhooks {
namespace {

using Answer = Result<std::vector<IpAddress>>;

std::future<Answer> Resolve(HostResolver& resolver, const std::string& host) {
  auto promise = std::make_shared<std::promise<Answer>>();
  std::future<Answer> answer = promise->get_future();
  resolver.Resolve(host, [promise](Answer addresses) { promise->set_value(std::move(addresses)); });
  return answer;
}

TEST(HostResolverTest, TheSystemResolverAnswersLocalhost) {
  auto resolver = HostResolver::Start(2);
  ASSERT_TRUE(resolver.ok());
  Answer localhost = Resolve(**resolver, "localhost").get();
  ASSERT_TRUE(localhost.ok()) << localhost.error().message();
  bool loopback = false;
  for (const IpAddress& address : *localhost) {
    loopback = loopback || address == IpAddress::Parse("127.0.0.1").value() || address == IpAddress::Parse("::1").value();
  }
  EXPECT_TRUE(loopback);
}

TEST(HostResolverTest, ALookupErrorIsPassedOn) {
  auto resolver = HostResolver::Start(1, [](const std::string& host) -> Answer {
    return Unavailable("resolve " + host + ": Name or service not known");
  });
  ASSERT_TRUE(resolver.ok());
  Answer unknown = Resolve(**resolver, "no-such-host.invalid").get();
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message(), "resolve no-such-host.invalid: Name or service not known");
}

// A lookup that hangs for "hang.example" until released, counting calls per host.
class ScriptedLookup {
 public:
  Answer operator()(const std::string& host) {
    std::unique_lock lock(mu_);
    ++calls_[host];
    changed_.notify_all();
    if (host == "hang.example") changed_.wait(lock, [this] { return released_; });
    return std::vector<IpAddress>{IpAddress::Parse("192.0.2.1").value()};
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    changed_.notify_all();
  }
  void AwaitCall(const std::string& host) {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return calls_[host] > 0; });
  }
  int Calls(const std::string& host) {
    std::lock_guard lock(mu_);
    return calls_[host];
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, int> calls_;
  bool released_ = false;
};

TEST(HostResolverTest, AHangingHostHoldsUpNoOtherAndConcurrentLookupsShareOneCall) {
  ScriptedLookup script;
  auto resolver = HostResolver::Start(2, [&script](const std::string& host) { return script(host); });
  ASSERT_TRUE(resolver.ok());
  std::vector<std::future<Answer>> hanging;
  hanging.push_back(Resolve(**resolver, "hang.example"));
  script.AwaitCall("hang.example");
  hanging.push_back(Resolve(**resolver, "hang.example"));
  hanging.push_back(Resolve(**resolver, "hang.example"));

  Answer other = Resolve(**resolver, "other.example").get();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->size(), 1u);
  for (auto& answer : hanging) {
    EXPECT_EQ(answer.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  }

  script.Release();
  for (auto& answer : hanging) EXPECT_TRUE(answer.get().ok());
  EXPECT_EQ(script.Calls("hang.example"), 1);
}

TEST(HostResolverTest, EveryLookupIsAnsweredOnceAlsoWhenItStops) {
  ScriptedLookup script;
  auto resolver = HostResolver::Start(1, [&script](const std::string& host) { return script(host); });
  ASSERT_TRUE(resolver.ok());
  std::future<Answer> running = Resolve(**resolver, "hang.example");
  script.AwaitCall("hang.example");
  std::future<Answer> queued = Resolve(**resolver, "queued.example");
  // The stop waits for the running lookup; whether the queued one still starts
  // depends on which comes first, but it is answered either way.
  std::thread release([&] { script.Release(); });
  resolver->reset();
  release.join();
  EXPECT_TRUE(running.get().ok());
  Answer answered = queued.get();
  if (!answered.ok()) {
    EXPECT_NE(answered.error().message().find("the resolver stopped"), std::string::npos);
  }
}

}  // namespace
}  // namespace vtpmd::webhooks
