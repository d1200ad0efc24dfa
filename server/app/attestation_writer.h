#pragma once
// Writes attestation results in batches: whatever is queued when the writer wakes
// goes into one transaction, so a deep-quote batch of thousands of results costs
// one flush instead of thousands, and request threads never wait on the disk.
// Each completion runs, on the writer's thread, once its record is durable (or
// with the store's error).
//
// The same thread deletes results older than the retention: at start, then at
// least once a minute, a bounded number per round so writes never wait long, and
// round after round while expired results remain.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "server/app/attestation_records.h"

namespace vtpmd::app {

class AttestationWriter {
 public:
  using Completion = std::function<void(Result<AttestationRecord>)>;

  AttestationWriter(AttestationRecords& records, const Clock& clock, std::chrono::seconds retention);
  // Writes what is queued, then stops.
  ~AttestationWriter();
  AttestationWriter(const AttestationWriter&) = delete;
  AttestationWriter& operator=(const AttestationWriter&) = delete;

  void Write(AttestationRecord record, Completion done);

 private:
  struct Pending {
    AttestationRecord record;
    Completion done;
  };
  void Loop();
  // One bounded round; true if expired results remain.
  bool PruneExpired();

  AttestationRecords& records_;
  const Clock& clock_;
  const std::chrono::seconds retention_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Pending> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace vtpmd::app
