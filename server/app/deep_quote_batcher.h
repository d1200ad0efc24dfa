#pragma once
// Deep quotes in batches (docs/attestation.md, "Deep quotes: batching and proofs").
// A platform TPM needs hundreds of milliseconds per quote, far too slow for one
// quote per attestation; so the leaves (policy/deep_quote_binding.h) that arrive
// within a window go into one RFC 9162 Merkle tree, the platform AIK quotes its
// root as qualifying data, and every leaf gets the quote with its inclusion proof.
//
// A batch opens with its first leaf and closes when the window has passed since
// then or when it holds max_batch leaves. A closed batch is quoted at once if fewer
// than max_in_flight quotes are running; otherwise it waits, and a batch that waits
// because of its window keeps taking leaves (up to max_batch): they would wait as
// long in the next batch. With a window of 0 every leaf is a batch of its own.
//
// Quotes run on max_in_flight worker threads, which also deliver each batch's
// completions, in leaf order, after its quote returned: never on the thread of a
// Submit, so a caller's completion cannot run while it still holds its own locks.
// Completions should be quick (hand the result to the requester's executor): a
// worker delivering completions counts as a quote in flight. Every leaf is
// completed exactly once; if the quote fails, every leaf of that batch gets the
// error. Destruction stops taking leaves, quotes every batch already submitted,
// delivers its completions and joins the workers.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "vtpm/pcr_values.h"

namespace vtpmd::vtpm {
class PlatformTpm;
}  // namespace vtpmd::vtpm

namespace vtpmd::app {

// What the platform TPM says about one batch: a quote whose extraData is the root.
struct PlatformQuoteEvidence {
  Bytes attest;     // marshalled TPMS_ATTEST
  Bytes signature;  // marshalled TPMT_SIGNATURE by the platform AIK
  TPML_PCR_SELECTION selection{};
  std::vector<vtpm::PcrBankValues> pcrs;  // the values the attest's pcrDigest covers
};

// Quotes `qualifying_data` (a Merkle root, 32 bytes) with the platform AIK. Called
// from several workers at once.
using PlatformQuoter = std::function<Result<PlatformQuoteEvidence>(ByteView qualifying_data)>;

// The platform TPM's quoter: `selection` of the platform PCRs, quoted by the
// platform AIK. The TPM must outlive the quoter.
PlatformQuoter PlatformTpmQuoter(vtpm::PlatformTpm& tpm, const TPML_PCR_SELECTION& selection);

// One leaf's answer: verify with policy::VerifyMerkleInclusion(leaf_hash,
// leaf_index, tree_size, path, root) and the platform quote's extraData == root.
struct DeepQuoteProof {
  Bytes leaf;
  Bytes leaf_hash;  // policy::MerkleLeafHash(leaf)
  std::uint64_t leaf_index = 0;
  std::uint64_t tree_size = 0;
  std::vector<Bytes> path;
  Bytes root;
  std::shared_ptr<const PlatformQuoteEvidence> platform_quote;  // shared by the batch
};

struct DeepQuoteBatcherOptions {
  std::chrono::milliseconds window{20};  // 0: one quote per leaf
  std::size_t max_batch = 4096;          // at least 1
  std::size_t max_in_flight = 16;        // at least 1: quotes (and worker threads)
};

struct DeepQuoteBatcherStats {
  std::uint64_t batches = 0;         // taken by a worker for quoting
  std::uint64_t leaves = 0;          // in those batches
  std::uint64_t failed_batches = 0;  // whose quote (or tree) failed
  std::size_t largest_batch = 0;
};

class DeepQuoteBatcher {
 public:
  using Done = std::function<void(Result<DeepQuoteProof>)>;

  // InvalidArgument for a negative window or a zero max_batch or max_in_flight.
  static Result<std::unique_ptr<DeepQuoteBatcher>> Create(PlatformQuoter quoter, DeepQuoteBatcherOptions options);

  DeepQuoteBatcher(const DeepQuoteBatcher&) = delete;
  DeepQuoteBatcher& operator=(const DeepQuoteBatcher&) = delete;
  ~DeepQuoteBatcher();

  // Adds `leaf` to the open batch; `done` is called once, from a worker, with its
  // proof or the batch's error. After destruction has begun, `done` is called at
  // once, on this thread, with Unavailable.
  void Submit(Bytes leaf, Done done);

  DeepQuoteBatcherStats Stats() const;

 private:
  struct Entry {
    Bytes leaf;
    Bytes leaf_hash;
    Done done;
  };
  struct Batch {
    std::vector<Entry> entries;
    std::chrono::steady_clock::time_point deadline;  // first leaf + window
  };

  DeepQuoteBatcher(PlatformQuoter quoter, DeepQuoteBatcherOptions options);

  void WorkerLoop();
  // Waits for a batch that is due (closed, or open past its window, or anything
  // left once stopping); nullopt when stopping and nothing is left.
  std::optional<Batch> NextBatchLocked(std::unique_lock<std::mutex>& lock);
  // Quotes the batch's root and completes its leaves; called without mu_.
  void QuoteAndComplete(Batch batch);

  const PlatformQuoter quoter_;
  const DeepQuoteBatcherOptions options_;

  mutable std::mutex mu_;
  std::condition_variable work_;
  Batch open_;                // empty when no batch is open
  std::deque<Batch> closed_;  // full (or window 0) batches waiting for a worker
  bool stopping_ = false;
  DeepQuoteBatcherStats stats_;
  std::vector<std::thread> workers_;  // last: started once everything above exists
};

}  // namespace vtpmd::app
