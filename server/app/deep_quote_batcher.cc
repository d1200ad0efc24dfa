#include "server/app/deep_quote_batcher.h"

#include <algorithm>
#include <utility>

#include "policy/merkle_tree.h"
#include "vtpm/platform_tpm.h"

namespace vtpmd::app {

PlatformQuoter PlatformTpmQuoter(vtpm::PlatformTpm& tpm, const TPML_PCR_SELECTION& selection) {
  return [&tpm, selection](ByteView qualifying_data) -> Result<PlatformQuoteEvidence> {
    VTPMD_ASSIGN_OR_RETURN(vtpm::QuoteResult quote, tpm.Quote(qualifying_data, selection));
    return PlatformQuoteEvidence{.attest = std::move(quote.attest),
                                 .signature = std::move(quote.signature),
                                 .selection = quote.selection,
                                 .pcrs = std::move(quote.pcrs)};
  };
}

Result<std::unique_ptr<DeepQuoteBatcher>> DeepQuoteBatcher::Create(PlatformQuoter quoter,
                                                                   DeepQuoteBatcherOptions options) {
  if (!quoter) return InvalidArgument("deep-quote batcher: no platform quoter");
  if (options.window.count() < 0) return InvalidArgument("deep-quote batcher: negative window");
  if (options.max_batch == 0) return InvalidArgument("deep-quote batcher: max_batch must be at least 1");
  if (options.max_in_flight == 0) return InvalidArgument("deep-quote batcher: max_in_flight must be at least 1");
  return std::unique_ptr<DeepQuoteBatcher>(new DeepQuoteBatcher(std::move(quoter), options));
}

DeepQuoteBatcher::DeepQuoteBatcher(PlatformQuoter quoter, DeepQuoteBatcherOptions options)
    : quoter_(std::move(quoter)), options_(options) {
  workers_.reserve(options_.max_in_flight);
  for (std::size_t i = 0; i < options_.max_in_flight; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

DeepQuoteBatcher::~DeepQuoteBatcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void DeepQuoteBatcher::Submit(Bytes leaf, Done done) {
  if (!done) return;
  // Hashed here, on the submitter's thread, so that the cost spreads over the
  // request threads instead of piling onto the worker that builds the tree.
  Bytes leaf_hash = policy::MerkleLeafHash(leaf);
  std::unique_lock lock(mu_);
  if (stopping_) {
    lock.unlock();
    done(Unavailable("the deep-quote batcher is shutting down"));
    return;
  }
  const bool opens_batch = open_.entries.empty();
  if (opens_batch) open_.deadline = std::chrono::steady_clock::now() + options_.window;
  open_.entries.push_back(Entry{std::move(leaf), std::move(leaf_hash), std::move(done)});
  const bool closes_batch = options_.window.count() == 0 || open_.entries.size() >= options_.max_batch;
  if (closes_batch) {
    closed_.push_back(std::move(open_));
    open_ = Batch{};
  }
  lock.unlock();
  // An idle worker has to take a closed batch, or start timing a new window. Each
  // waiting worker re-examines everything when woken and busy ones do when they
  // finish, so one wake-up per event is enough.
  if (opens_batch || closes_batch) work_.notify_one();
}

DeepQuoteBatcherStats DeepQuoteBatcher::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::optional<DeepQuoteBatcher::Batch> DeepQuoteBatcher::NextBatchLocked(std::unique_lock<std::mutex>& lock) {
  while (true) {
    if (!closed_.empty()) {
      Batch batch = std::move(closed_.front());
      closed_.pop_front();
      return batch;
    }
    if (!open_.entries.empty()) {
      // Past its window (or shutting down, when nothing more will come): close it
      // now. Until a worker is free to get here, it keeps taking leaves.
      if (stopping_ || std::chrono::steady_clock::now() >= open_.deadline) {
        Batch batch = std::move(open_);
        open_ = Batch{};
        return batch;
      }
      work_.wait_until(lock, open_.deadline);
      continue;
    }
    if (stopping_) return std::nullopt;
    work_.wait(lock);
  }
}

void DeepQuoteBatcher::WorkerLoop() {
  std::unique_lock lock(mu_);
  while (std::optional<Batch> batch = NextBatchLocked(lock)) {
    ++stats_.batches;
    stats_.leaves += batch->entries.size();
    stats_.largest_batch = std::max(stats_.largest_batch, batch->entries.size());
    lock.unlock();
    QuoteAndComplete(std::move(*batch));
    lock.lock();
  }
}

void DeepQuoteBatcher::QuoteAndComplete(Batch batch) {
  std::vector<Bytes> leaf_hashes;
  leaf_hashes.reserve(batch.entries.size());
  for (const Entry& entry : batch.entries) leaf_hashes.push_back(entry.leaf_hash);
  Result<policy::MerkleTree> tree = policy::MerkleTree::FromLeafHashes(std::move(leaf_hashes));
  Result<PlatformQuoteEvidence> quote =
      tree.ok() ? quoter_(tree->root()) : Result<PlatformQuoteEvidence>(tree.error());
  if (!quote.ok()) {
    {
      std::lock_guard lock(mu_);
      ++stats_.failed_batches;
    }
    const Error error = quote.error().WithContext("platform quote of a deep-quote batch");
    for (Entry& entry : batch.entries) entry.done(error);
    return;
  }
  auto platform_quote = std::make_shared<const PlatformQuoteEvidence>(std::move(quote).value());
  for (std::size_t i = 0; i < batch.entries.size(); ++i) {
    Entry& entry = batch.entries[i];
    auto path = tree->InclusionPath(i);
    if (!path.ok()) {
      entry.done(path.error());
      continue;
    }
    entry.done(DeepQuoteProof{.leaf = std::move(entry.leaf),
                              .leaf_hash = std::move(entry.leaf_hash),
                              .leaf_index = i,
                              .tree_size = tree->size(),
                              .path = std::move(path).value(),
                              .root = tree->root(),
                              .platform_quote = platform_quote});
  }
}

}  // namespace vtpmd::app
