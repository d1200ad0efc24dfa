// Stored attestation results: written in batches with their events and accepted
// clocks, all or nothing; read back by id and listed newest first.
#include "server/app/attestation_records.h"

#include <gtest/gtest.h>

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

  static AttestationRecord Record(std::string id, std::string status, std::string instance) {
    AttestationRecord record{.id = std::move(id),
                             .created_at = 1700000000,
                             .subject = "instance",
                             .instance_id = std::move(instance),
                             .vm_id = "vm",
                             .status = std::move(status),
                             .policy_name = "web",
                             .policy_version = 2,
                             .token = "header.payload.signature",
                             .result_json = R"({"submods":{}})",
                             .failure_event_json = {},
                             .accepted_clock = {}};
    if (record.status == "contraindicated") record.failure_event_json = R"({"reasons":["nonce-mismatch"]})";
    return record;
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

TEST_F(AttestationRecordsTest, TheWriterCompletesEachRecordOnceItIsStored) {
  std::vector<std::future<Result<AttestationRecord>>> written;
  {
    AttestationWriter writer(records_);
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
