#include "server/app/attestation_writer.h"

namespace vtpmd::app {

AttestationWriter::AttestationWriter(AttestationRecords& records) : records_(records), thread_([this] { Loop(); }) {}

AttestationWriter::~AttestationWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void AttestationWriter::Write(AttestationRecord record, Completion done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back({std::move(record), std::move(done)});
  }
  wake_.notify_one();
}

void AttestationWriter::Loop() {
  std::vector<Pending> batch;
  while (true) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      batch.swap(queue_);
    }
    std::vector<const AttestationRecord*> records;
    records.reserve(batch.size());
    for (const Pending& pending : batch) records.push_back(&pending.record);
    const Status written = records_.InsertAll(records);
    for (Pending& pending : batch) {
      if (written.ok()) {
        pending.done(std::move(pending.record));
      } else {
        pending.done(written.error());
      }
    }
    batch.clear();
  }
}

}  // namespace vtpmd::app
