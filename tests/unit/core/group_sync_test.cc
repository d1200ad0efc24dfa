#include "core/group_sync.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace vtpmd {
namespace {

class GroupSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() / ("vtpmd-group-sync-" + std::to_string(::getpid()));
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    std::ofstream(wal()) << "frames";
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }
  std::filesystem::path wal() const { return directory_ / "store.db-wal"; }

  std::filesystem::path directory_;
};

TEST_F(GroupSyncTest, EveryWaiterReturnsOnceItsCommitIsFlushed) {
  auto sync = GroupSync::Open(wal());
  ASSERT_TRUE(sync.ok()) << sync.error().message();
  std::atomic<int> durable = 0;
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if ((*sync)->WaitDurable((*sync)->Committed()).ok()) ++durable;
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(durable.load(), 200);
}

TEST_F(GroupSyncTest, MissingLogIsRefused) {
  auto sync = GroupSync::Open(directory_ / "absent-wal");
  ASSERT_FALSE(sync.ok());
  EXPECT_EQ(sync.error().code(), ErrorCode::kUnavailable);
}

TEST_F(GroupSyncTest, AFailedFlushIsFinal) {
  auto sync = GroupSync::Open(wal());
  ASSERT_TRUE(sync.ok());
  const std::uint64_t before = (*sync)->Committed();
  ASSERT_TRUE((*sync)->WaitDurable(before).ok());
  std::filesystem::remove(wal());
  Status lost = (*sync)->WaitDurable((*sync)->Committed());
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(lost.error().message().find("removed"), std::string::npos);
  // A new log at the same path does not make later commits durable either.
  std::ofstream(wal()) << "frames";
  EXPECT_FALSE((*sync)->WaitDurable((*sync)->Committed()).ok());
  EXPECT_TRUE((*sync)->WaitDurable(before).ok()) << "what was flushed stays flushed";
}

TEST_F(GroupSyncTest, EveryCallbackRunsOnceItsCommitIsFlushed) {
  auto sync = GroupSync::Open(wal());
  ASSERT_TRUE(sync.ok()) << sync.error().message();
  std::atomic<int> durable = 0;
  std::atomic<int> failed = 0;
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        (*sync)->WhenDurable((*sync)->Committed(), [&](Status flushed) { ++(flushed.ok() ? durable : failed); });
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  (*sync)->Settle();
  EXPECT_EQ(durable.load(), 200);
  EXPECT_EQ(failed.load(), 0);
}

TEST_F(GroupSyncTest, ACallbackForAFlushedCommitRunsAtOnce) {
  auto sync = GroupSync::Open(wal());
  ASSERT_TRUE(sync.ok());
  const std::uint64_t commit = (*sync)->Committed();
  ASSERT_TRUE((*sync)->WaitDurable(commit).ok());
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran_on;
  (*sync)->WhenDurable(commit, [&](Status flushed) {
    EXPECT_TRUE(flushed.ok());
    ran_on = std::this_thread::get_id();
  });
  EXPECT_EQ(ran_on, caller);
}

TEST_F(GroupSyncTest, DestroyingFlushesWhatCallbacksWaitFor) {
  auto sync = GroupSync::Open(wal());
  ASSERT_TRUE(sync.ok());
  int durable = 0;
  for (int i = 0; i < 3; ++i) {
    (*sync)->WhenDurable((*sync)->Committed(), [&](Status flushed) { durable += flushed.ok() ? 1 : 0; });
  }
  sync->reset();
  EXPECT_EQ(durable, 3);
}

TEST_F(GroupSyncTest, AFailedFlushReachesEveryCallback) {
  auto sync = GroupSync::Open(wal());
  ASSERT_TRUE(sync.ok());
  std::filesystem::remove(wal());
  std::atomic<int> failed = 0;
  (*sync)->WhenDurable((*sync)->Committed(), [&](Status flushed) { failed += flushed.ok() ? 0 : 1; });
  EXPECT_FALSE((*sync)->WaitDurable((*sync)->Committed()).ok());
  // Known to have failed: the callback runs at once, with the error.
  bool told = false;
  (*sync)->WhenDurable((*sync)->Committed(), [&](Status flushed) {
    told = true;
    EXPECT_FALSE(flushed.ok());
  });
  EXPECT_TRUE(told);
  sync->reset();
  EXPECT_EQ(failed.load(), 1);
}

}  // namespace
}  // namespace vtpmd
