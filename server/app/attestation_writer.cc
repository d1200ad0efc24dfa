#include "server/app/attestation_writer.h"

#include <algorithm>

#include "ca/x509_time.h"
#include "server/app/log.h"

namespace vtpmd::app {
namespace {

constexpr std::size_t kPruneBatch = 1000;
constexpr int kPruneBatchesPerRound = 10;
constexpr std::chrono::seconds kLongestPruneInterval{60};

}  // namespace

AttestationWriter::AttestationWriter(AttestationRecords& records, const Clock& clock, std::chrono::seconds retention)
    : records_(records), clock_(clock), retention_(retention), thread_([this] { Loop(); }) {}

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

bool AttestationWriter::PruneExpired() {
  const std::int64_t before = ca::ToUnixSeconds(clock_.Now()) - retention_.count();
  for (int batch = 0; batch < kPruneBatchesPerRound; ++batch) {
    auto pruned = records_.PruneOlderThan(before, kPruneBatch);
    if (!pruned.ok()) {
      Log(LogLevel::kWarning, "deleting expired attestation results: " + pruned.error().message());
      return false;
    }
    if (*pruned < kPruneBatch) return false;
  }
  return true;
}

void AttestationWriter::Loop() {
  const auto prune_interval = std::min<std::chrono::steady_clock::duration>(retention_, kLongestPruneInterval);
  auto next_prune = std::chrono::steady_clock::now();
  std::vector<Pending> batch;
  while (true) {
    if (std::chrono::steady_clock::now() >= next_prune) {
      // When a round did not reach the end of the expired results, the next one
      // follows right after the writes that queued meanwhile, so that deleting
      // keeps pace with writing.
      const bool more = PruneExpired();
      next_prune =
          std::chrono::steady_clock::now() + (more ? std::chrono::steady_clock::duration::zero() : prune_interval);
    }
    {
      std::unique_lock lock(mu_);
      wake_.wait_until(lock, next_prune, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        if (stopping_) return;  // and nothing left
        continue;               // time to prune
      }
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
