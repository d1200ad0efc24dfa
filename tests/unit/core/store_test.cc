#include "core/store.h"

#include <gtest/gtest.h>

#include <filesystem>

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

}  // namespace
}  // namespace vtpmd
