// Stored attestation results: written in batches with their events and accepted
// clocks, all or nothing; read back by id and listed newest first.
#include "server/app/attestation_records.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <future>
#include <memory>

#include "core/clock.h"
#include "core/random.h"
#include "policy/store_attestation_history.h"
#include "schema/schema.h"
#include "server/app/attestation_writer.h"

namespace vtpmd::app {
namespace {

class AttestationRecordsTest : public ::testing::Test {
 protected:
  AttestationRecordsTest()
      : store_(Store::OpenInMemory(schema::Migrations()).value()),
        events_(EventLog::Open(*store_, clock_, rng_).value()),
        records_(*store_, *events_) {}

  // A result quoting `aik_chain` with its evidence and the platform's chain with its deep quote.
  static AttestationRecord Record(std::string id, std::string status, std::string instance,
                                  std::string aik_chain = "AIK CHAIN", bool aik_chain_verified = true) {
    boost::json::object result{
        {"evidence", {{"quote", "AAEC"}, {"aik_certificate_chain", std::move(aik_chain)}}},
        {"deep_quote", {{"root", "00"}, {"platform_aik_certificate_chain", "PLATFORM CHAIN"}}},
        {"submods", boost::json::object{}}};
    SerializedResult serialized = SerializeResult(std::move(result), aik_chain_verified).value();
    AttestationRecord record{.id = std::move(id),
                             .created_at = 1700000000,
                             .subject = "instance",
                             .instance_id = std::move(instance),
                             .vm_id = "vm",
                             .status = std::move(status),
                             .policy_name = "web",
                             .policy_version = 2,
                             .token = "header.payload.signature",
                             .result_json = std::move(serialized.full_json),
                             .stored_result_json = std::move(serialized.stored_json),
                             .chains = std::move(serialized.chains),
                             .failure_event_json = {},
                             .accepted_clock = {}};
    if (record.status == "contraindicated") record.failure_event_json = R"({"reasons":["nonce-mismatch"]})";
    return record;
  }

  std::int64_t StoredChains() const {
    Statement count = store_->Prepare("SELECT count(*) FROM attestation_chains").value();
    EXPECT_TRUE(count.Step().value());
    return count.Int(0);
  }
  std::string StoredDocument(std::string_view id) const {
    Statement select = store_->Prepare("SELECT result_json FROM attestations WHERE id = ?").value();
    select.Bind(1, id);
    EXPECT_TRUE(select.Step().value());
    return select.Text(0);
  }

  FakeClock clock_{TimePoint(std::chrono::seconds(1700000000))};
  DeterministicRng rng_{7};
  std::unique_ptr<Store> store_;
  std::unique_ptr<EventLog> events_;
  AttestationRecords records_;
};

TEST_F(AttestationRecordsTest, ABatchIsStoredWithItsEventsAndClocks) {
  AttestationRecord good = Record("a1", "affirming", "i1");
  good.accepted_clock = std::pair(Bytes{0, 11, 1}, policy::ClockSnapshot{500, 1, 0});
  const AttestationRecord bad = Record("a2", "contraindicated", "i1");
  const AttestationRecord other = Record("a3", "warning", "i2");
  ASSERT_TRUE(records_.InsertAll({&good, &bad, &other}).ok());

  auto fetched = records_.Get("a1");
  ASSERT_TRUE(fetched.ok()) << fetched.error().message();
  EXPECT_EQ(fetched->token, good.token);
  EXPECT_EQ(fetched->result_json, good.result_json);
  EXPECT_EQ(fetched->policy_version, 2);
  EXPECT_EQ(records_.Get("missing").error().code(), ErrorCode::kNotFound);

  auto failed = events_->List({.subject = "attestations/a2", .types = {}});
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->events.size(), 1u);
  EXPECT_EQ(failed->events[0].type, kAttestationFailedEvent);
  EXPECT_EQ(failed->events[0].scope.instance_id, "i1");
  EXPECT_TRUE(events_->List({.subject = "attestations/a1", .types = {}})->events.empty()) << "only failures are events";

  policy::StoreAttestationHistory history(*store_);
  EXPECT_EQ(history.Last(Bytes{0, 11, 1}).value(), (policy::ClockSnapshot{500, 1, 0}));

  auto of_i1 = records_.List({.instance_id = "i1", .status = "", .before_seq = std::nullopt, .limit = 10});
  ASSERT_TRUE(of_i1.ok());
  ASSERT_EQ(of_i1->size(), 2u);
  EXPECT_EQ((*of_i1)[0].record.id, "a2") << "newest first";
  auto page = records_.List({.instance_id = "", .status = "", .before_seq = (*of_i1)[0].seq, .limit = 10});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].record.id, "a1");
  auto warnings = records_.List({.instance_id = "", .status = "warning", .before_seq = std::nullopt, .limit = 10});
  ASSERT_EQ(warnings->size(), 1u);
  EXPECT_EQ((*warnings)[0].record.id, "a3");
}

TEST_F(AttestationRecordsTest, ABatchWithABadRecordStoresNothing) {
  const AttestationRecord first = Record("b1", "contraindicated", "i1");
  const AttestationRecord duplicate = Record("b1", "affirming", "i1");
  EXPECT_FALSE(records_.InsertAll({&first, &duplicate}).ok());
  EXPECT_EQ(records_.Get("b1").error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(events_->List({.subject = "attestations/b1", .types = {}})->events.empty());
}

TEST_F(AttestationRecordsTest, EachChainIsStoredOnceAndResultsReadBackAsAnswered) {
  const AttestationRecord first = Record("c1", "affirming", "i1");
  const AttestationRecord same_aik = Record("c2", "affirming", "i1");
  const AttestationRecord other_aik = Record("c3", "warning", "i2", "OTHER AIK CHAIN");
  ASSERT_TRUE(records_.InsertAll({&first, &same_aik}).ok());
  ASSERT_TRUE(records_.InsertAll({&other_aik}).ok());
  EXPECT_EQ(StoredChains(), 3) << "two AIK chains and the platform's";

  EXPECT_EQ(StoredDocument("c1").find("CHAIN"), std::string::npos) << StoredDocument("c1");
  for (const AttestationRecord* record : {&first, &same_aik, &other_aik}) {
    auto fetched = records_.Get(record->id);
    ASSERT_TRUE(fetched.ok()) << fetched.error().message();
    EXPECT_EQ(fetched->result_json, record->result_json);
  }
  EXPECT_NE(first.result_json.find(R"("aik_certificate_chain":"AIK CHAIN")"), std::string::npos) << first.result_json;
}

TEST_F(AttestationRecordsTest, AChainThatDidNotVerifyStaysInlineInItsResult) {
  const AttestationRecord record = Record("g1", "contraindicated", "i1", "WHATEVER A CLIENT SENT", false);
  ASSERT_TRUE(records_.InsertAll({&record}).ok());
  EXPECT_EQ(StoredChains(), 1) << "only the platform's";
  EXPECT_NE(StoredDocument("g1").find("WHATEVER A CLIENT SENT"), std::string::npos);
  EXPECT_EQ(records_.Get("g1")->result_json, record.result_json);
}

TEST_F(AttestationRecordsTest, AChainFromABatchThatFailedIsStoredByTheNextOneUsingIt) {
  const AttestationRecord first = Record("d1", "affirming", "i1", "NEW AIK CHAIN");
  const AttestationRecord duplicate = Record("d1", "affirming", "i1", "NEW AIK CHAIN");
  EXPECT_FALSE(records_.InsertAll({&first, &duplicate}).ok());
  EXPECT_EQ(StoredChains(), 0);
  ASSERT_TRUE(records_.InsertAll({&first}).ok());
  auto fetched = records_.Get("d1");
  ASSERT_TRUE(fetched.ok()) << fetched.error().message();
  EXPECT_EQ(fetched->result_json, first.result_json);
}

TEST_F(AttestationRecordsTest, ResultsStoredWithTheirChainsInlineReadBackUnchanged) {
  AttestationRecord inline_chains = Record("e1", "affirming", "i1");
  inline_chains.stored_result_json = inline_chains.result_json;
  inline_chains.chains.clear();
  ASSERT_TRUE(records_.InsertAll({&inline_chains}).ok());
  EXPECT_EQ(records_.Get("e1")->result_json, inline_chains.result_json);
}

TEST_F(AttestationRecordsTest, AReferenceToAChainTheStoreLostIsAnInternalError) {
  const AttestationRecord record = Record("f1", "affirming", "i1");
  ASSERT_TRUE(records_.InsertAll({&record}).ok());
  ASSERT_TRUE(store_->Exec("DELETE FROM attestation_chains").ok());
  EXPECT_EQ(records_.Get("f1").error().code(), ErrorCode::kInternal);
}

TEST_F(AttestationRecordsTest, PruningDeletesTheOldestResultsBeforeTheCutoffInBoundedRounds) {
  std::vector<AttestationRecord> written;
  for (int i = 0; i < 5; ++i) {
    written.push_back(Record("p" + std::to_string(i), "affirming", "i1"));
    written.back().created_at = 1000 + i;
  }
  written.push_back(Record("p-new", "affirming", "i1"));
  written.back().created_at = 2000;
  std::vector<const AttestationRecord*> batch;
  for (const AttestationRecord& record : written) batch.push_back(&record);
  ASSERT_TRUE(records_.InsertAll(batch).ok());

  EXPECT_EQ(records_.PruneOlderThan(1004, 2).value(), 2u) << "at most the limit";
  EXPECT_EQ(records_.PruneOlderThan(1004, 10).value(), 2u) << "only those before the cutoff";
  EXPECT_EQ(records_.PruneOlderThan(1004, 10).value(), 0u);
  for (const char* gone : {"p0", "p1", "p2", "p3"}) EXPECT_EQ(records_.Get(gone).error().code(), ErrorCode::kNotFound);
  for (const char* kept : {"p4", "p-new"}) EXPECT_TRUE(records_.Get(kept).ok()) << kept;
  EXPECT_EQ(StoredChains(), 2) << "chains stay for the results that remain and later ones";
}

TEST_F(AttestationRecordsTest, TheWriterDeletesExpiredResultsWhenItStarts) {
  AttestationRecord old_result = Record("old", "affirming", "i1");
  old_result.created_at = 1700000000 - 3601;
  AttestationRecord recent = Record("recent", "affirming", "i1");
  recent.created_at = 1700000000 - 3599;
  ASSERT_TRUE(records_.InsertAll({&old_result, &recent}).ok());
  { AttestationWriter writer(records_, clock_, std::chrono::seconds(3600)); }
  EXPECT_EQ(records_.Get("old").error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(records_.Get("recent").ok());
}

TEST_F(AttestationRecordsTest, TheWriterKeepsDeletingWhileExpiredResultsRemain) {
  // More than one round (10 batches of 1,000) can delete.
  constexpr int kExpired = 10050;
  std::vector<AttestationRecord> expired;
  expired.reserve(kExpired);
  for (int i = 0; i < kExpired; ++i) {
    expired.push_back(Record("x" + std::to_string(i), "affirming", "i1"));
    expired.back().created_at = 1000;
  }
  std::vector<const AttestationRecord*> batch;
  for (const AttestationRecord& record : expired) batch.push_back(&record);
  ASSERT_TRUE(records_.InsertAll(batch).ok());
  AttestationWriter writer(records_, clock_, std::chrono::hours(24));
  // The first round runs at start. Whether the first write comes before or after
  // the next round, that round has run once the second write is stored.
  for (const char* id : {"fresh-1", "fresh-2"}) {
    std::promise<Result<AttestationRecord>> done;
    std::future<Result<AttestationRecord>> stored = done.get_future();
    writer.Write(Record(id, "affirming", "i1"),
                 [&done](Result<AttestationRecord> record) { done.set_value(std::move(record)); });
    ASSERT_TRUE(stored.get().ok());
  }
  auto left = records_.List({.instance_id = "", .status = "", .before_seq = std::nullopt, .limit = 10});
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ((*left)[0].record.id, "fresh-2");
  EXPECT_EQ((*left)[1].record.id, "fresh-1");
}

TEST_F(AttestationRecordsTest, TheWriterCompletesEachRecordOnceItIsStored) {
  std::vector<std::future<Result<AttestationRecord>>> written;
  {
    AttestationWriter writer(records_, clock_, std::chrono::hours(24));
    for (int i = 0; i < 50; ++i) {
      auto done = std::make_shared<std::promise<Result<AttestationRecord>>>();
      written.push_back(done->get_future());
      writer.Write(Record("w" + std::to_string(i), "affirming", "i1"),
                   [done](Result<AttestationRecord> record) { done->set_value(std::move(record)); });
    }
  }  // the destructor writes what is queued
  for (auto& future : written) {
    Result<AttestationRecord> record = future.get();
    ASSERT_TRUE(record.ok()) << record.error().message();
    EXPECT_TRUE(records_.Get(record->id).ok());
  }
}

}  // namespace
}  // namespace vtpmd::app
