#include "core/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "schema/schema.h"

namespace vtpmd {
namespace {

const Migration kTwoSteps[] = {
    {1, "create", "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB)"},
    {2, "add", "ALTER TABLE t ADD COLUMN extra INTEGER"},
};

TEST(Store, AppliesEmbeddedMigrations) {
  auto store = Store::OpenInMemory(schema::Migrations());
  ASSERT_TRUE(store.ok()) << store.error().message();
  EXPECT_EQ((*store)->SchemaVersion(), schema::Migrations().back().version);
  EXPECT_TRUE((*store)->Prepare("SELECT role FROM tokens").ok());
}

TEST(Store, MigratesIncrementallyAndRefusesNewerSchema) {
  const auto dir = std::filesystem::temp_directory_path() / ("vtpmd-store-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto path = dir / "db.sqlite";
  {
    auto store = Store::Open(path, std::span(kTwoSteps, 1));
    ASSERT_TRUE(store.ok());
    EXPECT_EQ((*store)->SchemaVersion(), 1);
  }
  {
    auto store = Store::Open(path, kTwoSteps);
    ASSERT_TRUE(store.ok());
    EXPECT_EQ((*store)->SchemaVersion(), 2);
    EXPECT_TRUE((*store)->Prepare("SELECT extra FROM t").ok());
  }
  auto old_binary = Store::Open(path, std::span(kTwoSteps, 1));
  ASSERT_FALSE(old_binary.ok());
  EXPECT_EQ(old_binary.error().code(), ErrorCode::kFailedPrecondition);
  std::filesystem::remove_all(dir);
}

// Only vtpmd may use its store: while one is open, another connection (the sqlite3
// shell, another process) can neither read nor write the file.
TEST(Store, NoOtherConnectionCanUseTheFileWhileTheStoreIsOpen) {
  const auto dir = std::filesystem::temp_directory_path() / ("vtpmd-store-excl-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto path = dir / "db.sqlite";
  auto from_another_connection = [&](const char* sql) {
    sqlite3* other = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &other, SQLITE_OPEN_READWRITE, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_exec(other, sql, nullptr, nullptr, nullptr);
    sqlite3_close_v2(other);
    return rc;
  };
  {
    auto store = Store::Open(path, kTwoSteps);
    ASSERT_TRUE(store.ok()) << store.error().message();
    ASSERT_TRUE((*store)->Transaction([&]() -> Status {
                          VTPMD_ASSIGN_OR_RETURN(auto insert, (*store)->Prepare("INSERT INTO t(name) VALUES('a')"));
                          return insert.Run();
                        })
                    .ok());
    EXPECT_EQ(from_another_connection("SELECT count(*) FROM t"), SQLITE_BUSY);
    EXPECT_EQ(from_another_connection("INSERT INTO t(name) VALUES('b')"), SQLITE_BUSY);
    EXPECT_FALSE(std::filesystem::exists(dir / "db.sqlite-shm"));
  }
  EXPECT_EQ(from_another_connection("SELECT count(*) FROM t"), SQLITE_OK);
  std::filesystem::remove_all(dir);
}

TEST(Store, BrokenMigrationChangesNothing) {
  const Migration broken[] = {kTwoSteps[0], {2, "broken", "ALTER TABLE t ADD COLUMN x INTEGER; THIS IS NOT SQL"}};
  auto store = Store::OpenInMemory(broken);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message().find("migration 2 broken"), std::string::npos);
}

TEST(Store, TransactionRollsBackOnError) {
  auto opened = Store::OpenInMemory(kTwoSteps);
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  Status failed = store.Transaction([&]() -> Status {
    VTPMD_ASSIGN_OR_RETURN(auto insert, store.Prepare("INSERT INTO t(name) VALUES('a')"));
    VTPMD_RETURN_IF_ERROR(insert.Run());
    return InvalidArgument("caller changed its mind");
  });
  EXPECT_FALSE(failed.ok());
  auto count = store.Prepare("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(count.ok());
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->Int(0), 0);
}

TEST(Store, AfterDurableRunsOnlyForCommittedTransactionsAndAfterTheLockIsReleased) {
  auto opened = Store::OpenInMemory(kTwoSteps);
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  std::vector<std::string> ran;
  Status failed = store.Transaction([&]() -> Status {
    store.AfterDurable([&] { ran.push_back("rolled back"); });
    return InvalidArgument("caller changed its mind");
  });
  EXPECT_FALSE(failed.ok());
  Status committed = store.Transaction([&]() -> Status {
    VTPMD_ASSIGN_OR_RETURN(auto insert, store.Prepare("INSERT INTO t(name) VALUES('a')"));
    VTPMD_RETURN_IF_ERROR(insert.Run());
    store.AfterDurable([&] {
      // Another thread can use the store by now: the callback may wake readers.
      std::thread reader([&] {
        auto count = store.Prepare("SELECT COUNT(*) FROM t");
        ran.push_back(count.ok() && *count->Step() ? "committed, saw " + std::to_string(count->Int(0)) : "failed");
      });
      reader.join();
    });
    ran.push_back("body");
    return Ok();
  }, Store::Durability::kWithNextFlush);
  ASSERT_TRUE(committed.ok());
  // Outside a transaction the preceding write is already flushed.
  store.AfterDurable([&] { ran.push_back("alone"); });
  EXPECT_EQ(ran, (std::vector<std::string>{"body", "committed, saw 1", "alone"}));
}

TEST(Store, BindsAndReadsValuesAndReportsConstraintViolations) {
  auto opened = Store::OpenInMemory(kTwoSteps);
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  const Bytes blob = {0, 1, 2};
  auto insert = store.Prepare("INSERT INTO t(name, data, extra) VALUES(?, ?, ?)");
  ASSERT_TRUE(insert.ok());
  ASSERT_TRUE(insert->Bind(1, "x").Bind(2, ByteView(blob)).BindNull(3).Run().ok());
  auto again = store.Prepare("INSERT INTO t(name) VALUES('x')");
  ASSERT_TRUE(again.ok());
  auto duplicate = again->Run();
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code(), ErrorCode::kAlreadyExists);

  auto select = store.Prepare("SELECT name, data, extra FROM t");
  ASSERT_TRUE(select.ok());
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->Text(0), "x");
  EXPECT_EQ(select->Blob(1), blob);
  EXPECT_TRUE(select->IsNull(2));
  EXPECT_FALSE(*select->Step());
}

TEST(Store, ReusedStatementsStartWithoutTheirOldBindings) {
  auto opened = Store::OpenInMemory(kTwoSteps);
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  {
    auto first = store.Prepare("SELECT ?");
    ASSERT_TRUE(first.ok());
    first->Bind(1, std::int64_t{5});
    ASSERT_TRUE(*first->Step());
    EXPECT_EQ(first->Int(0), 5);
    // Left mid-result: the cache must reset it.
  }
  auto second = store.Prepare("SELECT ?");
  ASSERT_TRUE(second.ok());
  auto third = store.Prepare("SELECT ?");  // the same text twice at once
  ASSERT_TRUE(third.ok());
  third->Bind(1, std::int64_t{7});
  ASSERT_TRUE(*second->Step());
  EXPECT_TRUE(second->IsNull(0));
  ASSERT_TRUE(*third->Step());
  EXPECT_EQ(third->Int(0), 7);
}

TEST(Store, ReadersNeverSeeAnotherThreadsUnfinishedTransaction) {
  auto opened = Store::OpenInMemory(kTwoSteps);
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  for (int round = 0; round < 50; ++round) {
    std::atomic<bool> inserted = false;
    std::int64_t seen = -1;
    std::thread reader([&] {
      while (!inserted.load()) std::this_thread::yield();
      auto count = store.Prepare("SELECT COUNT(*) FROM t");
      if (count.ok() && *count->Step()) seen = count->Int(0);
    });
    Status rolled_back = store.Transaction([&]() -> Status {
      VTPMD_ASSIGN_OR_RETURN(auto insert, store.Prepare("INSERT INTO t(name) VALUES('pending')"));
      VTPMD_RETURN_IF_ERROR(insert.Run());
      inserted = true;
      for (int i = 0; i < 1000; ++i) std::this_thread::yield();  // give the reader every chance to barge in
      return InvalidArgument("rolled back");
    });
    reader.join();
    ASSERT_FALSE(rolled_back.ok());
    ASSERT_EQ(seen, 0) << "round " << round;
  }
}

TEST(Store, ConcurrentTransactionsOnAFileAreAllDurable) {
  const auto directory = std::filesystem::temp_directory_path() / ("vtpmd-store-" + std::to_string(::getpid()));
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  const auto path = directory / "store.db";
  constexpr int kThreads = 4;
  constexpr int kEach = 40;
  {
    auto opened = Store::Open(path, kTwoSteps);
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    Store& store = **opened;
    std::vector<std::thread> writers;
    std::atomic<int> failures = 0;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          Status written = store.Transaction([&]() -> Status {
            VTPMD_ASSIGN_OR_RETURN(auto insert, store.Prepare("INSERT INTO t(name) VALUES(?)"));
            return insert.Bind(1, std::to_string(t) + "-" + std::to_string(i)).Run();
          });
          if (!written.ok()) ++failures;
        }
      });
    }
    for (std::thread& writer : writers) writer.join();
    EXPECT_EQ(failures.load(), 0);
    // A write outside any transaction commits (and is flushed) on its own.
    auto single = store.Prepare("INSERT INTO t(name) VALUES('alone')");
    ASSERT_TRUE(single.ok());
    ASSERT_TRUE(single->Run().ok());
  }
  auto reopened = Store::Open(path, kTwoSteps);
  ASSERT_TRUE(reopened.ok());
  auto count = (*reopened)->Prepare("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(count.ok());
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->Int(0), kThreads * kEach + 1);
  std::filesystem::remove_all(directory);
}

TEST(Store, ATransactionCanHandOverWhatToDoOnceDurable) {
  const auto directory = std::filesystem::temp_directory_path() / ("vtpmd-store-async-" + std::to_string(::getpid()));
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  std::atomic<int> durable = 0;
  std::atomic<int> after_durable = 0;
  std::atomic<int> out_of_order = 0;
  {
    auto opened = Store::Open(directory / "store.db", kTwoSteps);
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    Store& store = **opened;
    for (int i = 0; i < 30; ++i) {
      Status committed = store.Transaction(
          [&]() -> Status {
            VTPMD_ASSIGN_OR_RETURN(auto insert, store.Prepare("INSERT INTO t(name) VALUES(?)"));
            store.AfterDurable([&] { ++after_durable; });
            return insert.Bind(1, std::to_string(i)).Run();
          },
          [&](Status flushed) {
            // The body's own callbacks come first.
            if (after_durable.load() <= durable.load()) ++out_of_order;
            if (flushed.ok()) ++durable;
          });
      ASSERT_TRUE(committed.ok());
    }
    // A body that fails commits nothing and never calls back.
    Status failed = store.Transaction([]() -> Status { return InvalidArgument("changed its mind"); },
                                      [&](Status) { ++out_of_order; });
    EXPECT_FALSE(failed.ok());
  }  // closing the store flushes and calls back what is pending
  EXPECT_EQ(durable.load(), 30);
  EXPECT_EQ(after_durable.load(), 30);
  EXPECT_EQ(out_of_order.load(), 0);
  auto reopened = Store::Open(directory / "store.db", kTwoSteps);
  ASSERT_TRUE(reopened.ok());
  auto count = (*reopened)->Prepare("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(count.ok());
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->Int(0), 30);
  std::filesystem::remove_all(directory);
}

TEST(Store, InMemoryTheDurableCallbackRunsBeforeTransactionReturns) {
  auto opened = Store::OpenInMemory(kTwoSteps);
  ASSERT_TRUE(opened.ok());
  bool called = false;
  Status committed = (*opened)->Transaction([]() -> Status { return Ok(); }, [&](Status flushed) {
    called = flushed.ok();
  });
  ASSERT_TRUE(committed.ok());
  EXPECT_TRUE(called);
}

// What a reader that keeps rows in memory relies on: every insert, update and
// delete of a table counts, whoever made it and whether or not it committed, and
// changes to other tables do not.
TEST(Store, CountsEveryRowChangeOfATable) {
  auto opened = Store::OpenInMemory(kTwoSteps);
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  ASSERT_TRUE(store.Exec("CREATE TABLE other (x INTEGER)").ok());
  EXPECT_EQ(store.RowChanges("t"), 0u);

  ASSERT_TRUE(store.Exec("INSERT INTO t(name) VALUES('a'), ('b')").ok());
  EXPECT_EQ(store.RowChanges("t"), 2u);
  ASSERT_TRUE(store.Exec("UPDATE t SET extra = 1 WHERE name = 'a'").ok());
  EXPECT_EQ(store.RowChanges("t"), 3u);
  ASSERT_TRUE(store.Exec("INSERT INTO t(name) VALUES('a') ON CONFLICT(name) DO UPDATE SET extra = 2").ok());
  EXPECT_EQ(store.RowChanges("t"), 4u) << "an upsert that updates";
  ASSERT_TRUE(store.Exec("INSERT INTO other VALUES(1)").ok());
  EXPECT_EQ(store.RowChanges("t"), 4u);
  EXPECT_EQ(store.RowChanges("other"), 1u);

  const Status rolled_back = store.Transaction([&]() -> Status {
    VTPMD_RETURN_IF_ERROR(store.Exec("DELETE FROM t WHERE name = 'b'"));
    return FailedPrecondition("changed my mind");
  });
  EXPECT_FALSE(rolled_back.ok());
  EXPECT_EQ(store.RowChanges("t"), 5u);
  EXPECT_EQ(store.RowChanges("no_such_table"), 0u);
}

// The count is read without the store's lock: a reader does not wait while a
// writer holds a transaction open.
TEST(Store, RowChangesAreReadWhileATransactionIsOpen) {
  auto opened = Store::OpenInMemory(kTwoSteps);
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  std::atomic<std::uint64_t> seen{0};
  const Status status = store.Transaction([&]() -> Status {
    VTPMD_RETURN_IF_ERROR(store.Exec("INSERT INTO t(name) VALUES('a')"));
    std::thread reader([&] { seen = store.RowChanges("t"); });
    reader.join();
    return Ok();
  });
  ASSERT_TRUE(status.ok()) << status.error().message();
  EXPECT_EQ(seen.load(), 1u);
}

}  // namespace
}  // namespace vtpmd
