// The event log hands an event out (to List, Get and the feed) only once the
// transaction that recorded it is committed and flushed, so that an event a power
// failure could undo is never seen, and its seq never names two events.
#include "server/app/event_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

#include "core/clock.h"
#include "core/random.h"
#include "schema/schema.h"

namespace vtpmd::app {
namespace {

class EventLogTest : public ::testing::Test {
 protected:
  EventLogTest() : directory_(std::filesystem::temp_directory_path() / ("vtpmd-events-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    store_ = Store::Open(directory_ / "vtpmd.db", schema::Migrations()).value();
    events_ = EventLog::Open(*store_, clock_, rng_).value();
    events_->feed().Listen([this] { ++published_; });
  }
  ~EventLogTest() override {
    events_.reset();
    store_.reset();
    std::filesystem::remove_all(directory_);
  }

  std::size_t Listed() { return events_->List({.after_seq = 0, .limit = 100, .subject = {}, .types = {}})->events.size(); }

  std::filesystem::path directory_;
  FakeClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000))};
  OsRng rng_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<EventLog> events_;
  int published_ = 0;
};

TEST_F(EventLogTest, AnEventIsSeenOnlyOnceItsTransactionIsFlushed) {
  Status recorded = store_->Transaction([&]() -> Status {
    VTPMD_RETURN_IF_ERROR(events_->Record("policy.deleted", "policies/a", R"({"name":"a"})"));
    // Inside its own transaction, before the commit, nobody is told and nothing is listed.
    EXPECT_EQ(published_, 0);
    EXPECT_EQ(Listed(), 0u);
    return Ok();
  }, Store::Durability::kWithNextFlush);  // recording an event makes it wait for the flush anyway
  ASSERT_TRUE(recorded.ok()) << recorded.error().message();
  EXPECT_EQ(published_, 1);
  auto page = events_->List({.after_seq = 0, .limit = 100, .subject = {}, .types = {}});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_TRUE(events_->Get(page->events[0].id).ok());
}

TEST_F(EventLogTest, ARolledBackEventIsNeverSeenAndItsSeqIsNotSkipped) {
  Status failed = store_->Transaction([&]() -> Status {
    VTPMD_RETURN_IF_ERROR(events_->Record("policy.deleted", "policies/a", R"({"name":"a"})"));
    return FailedPrecondition("the change failed after its event was recorded");
  });
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(published_, 0);
  ASSERT_TRUE(store_->Transaction([&] { return events_->Record("policy.deleted", "policies/b", "{}"); }).ok());
  auto page = events_->List({.after_seq = 0, .limit = 100, .subject = {}, .types = {}});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].subject, "policies/b");
  EXPECT_EQ(page->events[0].seq, 1);
}

TEST_F(EventLogTest, EventsInTheStoreWhenItOpensAreSeen) {
  ASSERT_TRUE(store_->Transaction([&] { return events_->Record("policy.deleted", "policies/a", "{}"); }).ok());
  events_.reset();
  store_.reset();
  store_ = Store::Open(directory_ / "vtpmd.db", schema::Migrations()).value();
  events_ = EventLog::Open(*store_, clock_, rng_).value();
  EXPECT_EQ(Listed(), 1u);
}

}  // namespace
}  // namespace vtpmd::app
