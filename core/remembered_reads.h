#pragma once
// Values read from the store, remembered while the tables they were read from do
// not change (Store::RowChanges). A reader takes the count *before* it reads the
// store and passes it to both calls: a change after that count makes the next
// reader's count differ, so nothing read before a change outlives it.

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

namespace vtpmd {

template <typename Key, typename Value>
class RememberedReads {
 public:
  explicit RememberedReads(std::size_t capacity) : capacity_(capacity) {}

  // What was remembered under `key`, if the tables are as they were when it was read.
  std::optional<Value> Recall(const Key& key, std::uint64_t changes) {
    std::lock_guard lock(mu_);
    if (changes != changes_) {
      // Readers may finish out of order: only a newer count forgets.
      if (changes > changes_) Forget(changes);
      return std::nullopt;
    }
    const auto found = values_.find(key);
    if (found == values_.end()) return std::nullopt;
    return found->second;
  }

  void Remember(Key key, Value value, std::uint64_t changes) {
    std::lock_guard lock(mu_);
    if (changes > changes_) Forget(changes);
    if (changes != changes_) return;
    if (values_.size() >= capacity_) values_.clear();
    values_.insert_or_assign(std::move(key), std::move(value));
  }

 private:
  void Forget(std::uint64_t changes) {
    values_.clear();
    changes_ = changes;
  }

  const std::size_t capacity_;
  std::mutex mu_;
  std::uint64_t changes_ = 0;
  std::map<Key, Value> values_;
};

}  // namespace vtpmd
