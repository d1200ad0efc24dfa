#pragma once
// The Merkle tree of RFC 9162 §2.1 (Certificate Transparency v2), SHA-256: how a
// batch of deep-quote leaves is bound into the one platform quote whose qualifying
// data is the tree's root, and how each leaf proves that it is in the batch.
//
//   leaf hash      SHA-256(0x00 ‖ leaf)
//   interior node  SHA-256(0x01 ‖ left ‖ right)
//   MTH(D[n])      split at k, the largest power of two smaller than n:
//                  SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]));  MTH of no leaves = SHA-256("")
//
// Proofs are interoperable with any RFC 9162/6962 implementation
// (scripts/verify_merkle_proof.py is an independent one).

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::policy {

inline constexpr std::size_t kMerkleHashSize = 32;

// SHA-256(0x00 ‖ leaf). Empty only if OpenSSL fails, which every consumer of leaf
// hashes (the tree, the verifier) refuses as a hash of the wrong size.
Bytes MerkleLeafHash(ByteView leaf);

// A whole tree built once from all the leaf hashes of a batch: every level is kept,
// so the root costs n - 1 hashes and each inclusion path is read off in O(log n)
// without hashing again (O(n log n) for the paths of every leaf).
class MerkleTree {
 public:
  // Each leaf hash must be 32 bytes (the output of MerkleLeafHash).
  static Result<MerkleTree> FromLeafHashes(std::vector<Bytes> leaf_hashes);

  std::uint64_t size() const { return levels_.empty() ? 0 : levels_.front().size(); }
  const Bytes& root() const { return root_; }
  // RFC 9162 §2.1.3.1 PATH(index, D[n]): the sibling hashes from the leaf up to the
  // root, in the order VerifyMerkleInclusion consumes them. InvalidArgument when
  // index >= size().
  Result<std::vector<Bytes>> InclusionPath(std::uint64_t index) const;

 private:
  MerkleTree(std::vector<std::vector<Bytes>> levels, Bytes root)
      : levels_(std::move(levels)), root_(std::move(root)) {}

  // levels_[0] are the leaf hashes; levels_[k + 1][i] hashes levels_[k][2i] and
  // [2i + 1]; an odd last node is carried up unchanged. This pairing yields exactly
  // RFC 9162's split-at-a-power-of-two tree: the left subtree of every node is
  // complete, so only the rightmost node of a level can lack a sibling.
  std::vector<std::vector<Bytes>> levels_;
  Bytes root_;
};

// RFC 9162 §2.1.3.2, verbatim: true when `path` proves that `leaf_hash` is the leaf
// at `index` of the tree of `tree_size` leaves whose root is `root`. False for an
// index >= tree_size, a path of the wrong length, or any hash (leaf hash, path
// element, root) that is not 32 bytes.
bool VerifyMerkleInclusion(ByteView leaf_hash, std::uint64_t index, std::uint64_t tree_size,
                           std::span<const Bytes> path, ByteView root);

}  // namespace vtpmd::policy
